// Small DOM helpers shared by the board, facilitation and plate modules.
// User text only ever goes in through textContent or attribute values.

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
