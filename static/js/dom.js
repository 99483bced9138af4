// Small DOM helpers shared by the board, facilitation and plate modules.
// User text only ever goes in through textContent or attribute values.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

// What the server put in the page: config, translated strings, the board snapshot.
export function pageData() {
  const read = id => JSON.parse($(`#${id}`).textContent);
  return {config: read('board-config'), strings: read('board-i18n'), snapshot: read('board-snapshot')};
}

// t('%(n)s votes', {n}) looks the English text up in the page's strings;
// tn(singular, plural, n) picks the form (Dutch and English both have two).
export function translator(strings) {
  const t = (key, params = {}) => {
    let s = strings[key] || key;
    for (const [k, v] of Object.entries(params)) s = s.split(`%(${k})s`).join(String(v));
    return s;
  };
  const tn = (singular, plural, n, params = {}) => t(n === 1 ? singular : plural, {n, ...params});
  return {t, tn};
}

// Operation ids the server accepts once per session: <kind><id>-<random>-<counter>.
export function opIds(me) {
  let counter = 0;
  return () => {
    counter += 1;
    const rnd = (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`).slice(0, 18);
    return `${me.kind[0]}${me.id}-${rnd}-${counter}`;
  };
}

const CONNECTION_LABELS = {
  http: 'Connected (changes are saved, not live)',
  connecting: 'Connecting…',
  online: 'Live',
  offline: 'Offline: your changes are kept and sent later',
  reconnecting: 'Reconnecting…',
};

// The connection indicator of the page (live.js decides the state), and a banner across the
// page while the connection is lost: a small header text is easy to miss in a workshop.
export function showConnectionState(name, label, t) {
  const node = $('#connection-state'); // a page may have no indicator (e.g. a read-only view)
  document.body.dataset.connection = name;
  const text = label || t(CONNECTION_LABELS[name] || name);
  if (node) {
    node.dataset.state = name;
    $('.label', node).textContent = text;
  }
  let banner = $('#connection-banner');
  const lost = name === 'offline' || name === 'reconnecting';
  if (lost && !banner) {
    banner = el('p', {id: 'connection-banner', class: 'connection-banner', role: 'alert'});
    const main = $('main') || document.body;
    main.prepend(banner);
  }
  if (!banner) return;
  banner.hidden = !lost;
  const want = name === 'offline' ? text : t('Connection lost: reconnecting… Your changes are kept and sent later.');
  if (lost && banner.textContent !== want) banner.textContent = want;
}

// Screen readers: the live region is emptied first so a repeated text is read again.
export function announce(text) {
  const node = $('#announcer');
  node.textContent = '';
  setTimeout(() => { node.textContent = text; }, 50);
}

let toastTimer = null;
export function toast(text) {
  const node = $('#toast');
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, 6000);
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('data-')) node.setAttribute(k, v);
    else if (k in node && typeof v !== 'string') node[k] = v;
    else node.setAttribute(k, v === true && !k.startsWith('aria-') ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function csrfToken() {
  const input = document.querySelector('input[name="csrf_token"]');
  return input ? input.value : '';
}

// Board operations over plain HTTP (the fallback until live.js takes over).
// `apply` receives the server's event for the operation.
export function httpTransport(opsUrl, t, apply) {
  return {
    async send(op) {
      let res;
      try {
        res = await fetch(opsUrl, {
          method: 'POST', credentials: 'same-origin', body: JSON.stringify(op),
          headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrfToken()},
        });
      } catch (e) {
        throw {code: 'offline', message: t('You are offline; the change was not saved.')};
      }
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw body.error || {code: 'error', message: t('Something went wrong.')};
      apply(body.event);
      return body;
    },
  };
}
