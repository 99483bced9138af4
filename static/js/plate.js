// The formula plate: a second view of the session, edited live through the plate.* operations.
// A client of the page's store (store.js) like the board: the plate reducers exist once, there;
// this module draws `store.view.plate` after every change and sends operations through
// client.send (the same websocket protocol, live.js).
import {$, $$, el} from './dom.js';
import {createClient} from './client.js';

const client = createClient();
const {config, t, store} = client;
const S = () => store.view;

export const plate = Object.assign(client, {
  canEdit() { return config.isFacilitator || !(S().session.settings || {}).locked; },
  render: () => render(),
});

store.subscribe(change => {
  if (change.kind === 'presence' || change.kind === 'connection') return;
  scheduleRender();
});
let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; render(); });
}

// ---------------------------------------------------------------------------
// drawing

let editing = null; // id of the item whose text is being edited: not redrawn under the typist

function itemNode(item, siblings, index) {
  const li = el('li', {class: 'plate-item', 'data-item-id': item.id});
  if (editing === item.id) {
    const ta = el('textarea', {rows: '3', maxlength: '500', 'aria-label': t('Text')});
    // a redraw (someone else's change) keeps what is being typed, and where
    const typing = document.querySelector(`.plate-item[data-item-id="${item.id}"] textarea`);
    ta.value = typing ? typing.value : item.text;
    if (typing) setTimeout(() => ta.setSelectionRange(typing.selectionStart, typing.selectionEnd), 0);
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
  const state = S();
  // keyboard focus survives the redraw: the same button of the same line
  const active = document.activeElement;
  const activeItem = active && active.closest && active.closest('.plate-item');
  const focusKey = activeItem && active.tagName === 'BUTTON'
    ? [activeItem.dataset.itemId, [...activeItem.querySelectorAll('button')].indexOf(active)] : null;
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
  if (focusKey && !document.contains(active)) {
    const li = document.querySelector(`.plate-item[data-item-id="${focusKey[0]}"]`);
    const target = li && (li.querySelectorAll('button')[focusKey[1]] || li.querySelector('button'));
    if (target) target.focus({preventScroll: true});
  }
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
window.workshopPlate = plate;
client.goLive(() => {
  // without the live layer: fetch the plate now and then so others' edits appear
  setInterval(async () => {
    if (editing !== null) return;
    const res = await fetch(config.snapshotUrl, {credentials: 'same-origin'}).catch(() => null);
    if (res && res.ok) { const snap = await res.json(); if (snap.seq > store.seq) store.loadSnapshot(snap); }
  }, 4000);
});
