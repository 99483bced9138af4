// Forms marked .js-confirm ask before they submit (no inline script: CSP).
for (const form of document.querySelectorAll('form.js-confirm')) {
  form.addEventListener('submit', ev => {
    if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
  });
}
