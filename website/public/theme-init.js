/* Sets the colour theme before the first paint (no flash): the visitor's saved choice, else the system's. */
(function () {
  var t = null;
  try {
    t = localStorage.getItem('pool.theme');
  } catch (e) {
    /* storage blocked */
  }
  if (t !== 'light' && t !== 'dark') t = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  document.documentElement.setAttribute('data-theme', t);
})();
