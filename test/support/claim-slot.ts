/**
 * A child process for the journal slot tests: claims a share journal slot in argv[2], prints its journal path as one
 * line, and holds the slot until it is killed.
 */
import { claimJournalSlot } from '../../stratum-node/journal-slots.js';

const slot = claimJournalSlot(process.argv[2]!);
process.stdout.write(`${slot.journalPath}\n`);
setInterval(() => undefined, 60_000);
