// The formula plate: a second view of the session, edited live through the
// plate.* operations. It offers live.js the same small interface as the board
// (config, state, send, applyServerEvent, replaceSnapshot, setConnectionState,
// setPresence, restorePending, forget, transport), so both views share one
// websocket protocol.
import {$, $$, announce, el, httpTransport, opIds, pageData, showConnectionState, toast, translator} from './dom.js';

const {config, strings, snapshot} = pageData();
let state = snapshot;
const {t, tn} = translator(strings);
const newOpId = opIds(config.me);
const listeners = {};

const reducers = {
  'plate.add': d => { state.plate = state.plate.filter(i => i.id !== d.item.id); applyRenumbered(d.renumbered); state.plate.push(d.item); },
  'plate.update': d => { const i = state.plate.find(x => x.id === d.id); if (i) Object.assign(i, d.changes); },
  'plate.move': d => {
    applyRenumbered(d.renumbered);
    const i = state.plate.find(x => x.id === d.id);
    if (i) Object.assign(i, {section: d.section, heading: d.heading, position: d.position});
  },
  'plate.delete': d => { state.plate = state.plate.filter(x => x.id !== d.id); },
  'session.update_plate_meta': d => { Object.assign(state.session, d.changes); },
  'session.settings': d => { state.session.settings = d.settings; },
};

function applyRenumbered(renumbered) {
  for (const [id, pos] of Object.entries(renumbered || {})) {
    const i = state.plate.find(x => String(x.id) === String(id));
    if (i) i.position = pos;
  }
}

const transport = httpTransport(config.opsUrl, t, evt => plate.applyServerEvent(evt));

export const plate = {
  config, t, tn, reducers, transport, presence: [],
  get state() { return state; },
  on(name, fn) { (listeners[name] ||= []).push(fn); },
  emit(name, data) { for (const fn of listeners[name] || []) fn(data); },
  async send(op) {
    op.op_id ||= newOpId();
    try {
      return await plate.transport.send(op);
    } catch (err) {
      plate.toast(err && err.message ? err.message : t('Something went wrong.'));
      throw err;
    }
  },
  applyServerEvent(evt) {
    if (!evt || typeof evt.seq !== 'number' || evt.seq <= state.seq) return false;
    const reduce = reducers[evt.event];
    if (reduce) reduce(evt.data, evt);
    state.seq = evt.seq;
    render();
    plate.emit('event', evt);
    return true;
  },
  replaceSnapshot(snapshot) { state = snapshot; render(); plate.emit('snapshot', snapshot); },
  setConnectionState(name, label) {
    showConnectionState(name, label, t);
    plate.emit('connection', name);
  },
  setPresence(people) { plate.presence = people; },
  // the plate shows no guesses before the server answers: nothing to restore or drop
  restorePending() {},
  forget() {},
  announce,
  toast,
  canEdit() { return config.isFacilitator || !(state.session.settings || {}).locked; },
  render: () => render(),
};

// ---------------------------------------------------------------------------
// drawing

let editing = null; // id of the item whose text is being edited: not redrawn under the typist

function itemNode(item, siblings, index) {
  const li = el('li', {class: 'plate-item', 'data-item-id': item.id});
  if (editing === item.id) {
    const ta = el('textarea', {rows: '3', maxlength: '500', 'aria-label': t('Text')});
    ta.value = item.text;
    const save = el('button', {type: 'button', class: 'plate-item-btn', text: t('Save')});
    const cancel = el('button', {type: 'button', class: 'plate-item-btn', text: t('Cancel')});
    save.addEventListener('click', () => commitEdit(item, ta.value));
    cancel.addEventListener('click', () => { editing = null; render(); focusItem(item.id); });
    ta.addEventListener('keydown', ev => {
      if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); commitEdit(item, ta.value); }
      if (ev.key === 'Escape') { editing = null; render(); focusItem(item.id); }
    });
    li.append(ta, save, cancel);
    setTimeout(() => ta.focus(), 0);
    return li;
  }
  li.append(el('span', {class: 'plate-text', text: item.text}));
  if (plate.canEdit()) {
    const edit = el('button', {type: 'button', class: 'plate-item-btn plate-edit', text: '✎',
      'aria-label': t('Edit “%(text)s”', {text: item.text.slice(0, 60)})});
    edit.addEventListener('click', () => { editing = item.id; render(); });
    li.append(edit);
    if (index > 0) {
      const up = el('button', {type: 'button', class: 'plate-item-btn', text: '↑', 'aria-label': t('Move up')});
      up.addEventListener('click', () => plate.send({type: 'plate.move', id: item.id, index: index - 1}).then(() => focusItem(item.id)).catch(() => {}));
      li.append(up);
    }
    const del = el('button', {type: 'button', class: 'plate-item-btn danger', text: '✕',
      'aria-label': t('Delete “%(text)s”', {text: item.text.slice(0, 60)})});
    del.addEventListener('click', () => {
      if (confirm(t('Delete this line from the plate?'))) plate.send({type: 'plate.delete', id: item.id}).catch(() => {});
    });
    li.append(del);
  }
  return li;
}

function commitEdit(item, text) {
  text = text.trim();
  editing = null;
  if (!text || text === item.text) { render(); focusItem(item.id); return; }
  plate.send({type: 'plate.update', id: item.id, text}).then(() => focusItem(item.id)).catch(() => render());
}

function focusItem(id) {
  const b = document.querySelector(`.plate-item[data-item-id="${id}"] .plate-edit`);
  if (b) b.focus();
}

function render() {
  for (const box of $$('.plate-heading')) {
    const {section, heading} = box.dataset;
    const items = state.plate.filter(i => i.section === section && i.heading === heading)
      .sort((a, b) => a.position - b.position || a.id - b.id);
    $('.plate-items', box).replaceChildren(...items.map((item, i) => itemNode(item, items, i)));
    $('.plate-add', box).hidden = !plate.canEdit();
  }
  const tagline = $('#plate-tagline');
  if (document.activeElement !== tagline) tagline.value = state.session.tagline || '';
  const personas = $('#plate-personas');
  if (document.activeElement !== personas) personas.value = (state.session.personas || []).join(', ');
  tagline.readOnly = personas.readOnly = !plate.canEdit();
}

// ---------------------------------------------------------------------------
// input

for (const box of $$('.plate-heading')) {
  $('.plate-add', box).addEventListener('click', () => {
    const text = prompt(t('New line for %(heading)s', {heading: box.dataset.heading}));
    if (text && text.trim()) {
      plate.send({type: 'plate.add', section: box.dataset.section, heading: box.dataset.heading, text: text.trim()})
        .then(() => plate.announce(t('Added to %(heading)s.', {heading: box.dataset.heading}))).catch(() => {});
    }
  });
}

$('#plate-tagline').addEventListener('change', ev => {
  plate.send({type: 'session.update_plate_meta', tagline: ev.target.value}).catch(() => {});
});
$('#plate-personas').addEventListener('change', ev => {
  const personas = ev.target.value.split(',').map(s => s.trim()).filter(Boolean);
  plate.send({type: 'session.update_plate_meta', personas}).catch(() => {});
});

render();
plate.setConnectionState('http');
window.workshopPlate = plate;
if ('WebSocket' in window) {
  import('./live.js').then(m => m.connect(plate)).catch(() => {
    // without the live layer: fetch the plate now and then so others' edits appear
    setInterval(async () => {
      if (editing !== null) return;
      const res = await fetch(config.snapshotUrl, {credentials: 'same-origin'}).catch(() => null);
      if (res && res.ok) { const snap = await res.json(); if (snap.seq > state.seq) plate.replaceSnapshot(snap); }
    }, 4000);
  });
}
