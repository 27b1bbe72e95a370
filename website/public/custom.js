/*
 * Operator hook: your own script, loaded after the site has started. Kept across updates.
 * The site exposes a small API on window.pool:
 *
 *   window.pool.on('stats', (stats) => { ... })   // every fresh /stats snapshot (parsed)
 *   window.pool.on('route', (name) => { ... })    // after a page was rendered
 *   window.pool.config                            // the resolved runtime config
 */
