// The journey board in the browser: a view of the page's store (store.js), drawn with DOM APIs
// (textContent only: no user text ever reaches innerHTML). Operations go out through
// `board.send(op)`, which puts them in the store's pending queue (shown at once) and sends them;
// the server's events reach the store through live.js (or the HTTP answer). Every change of the
// store schedules one redraw of the grid from `store.view`: this is the only code that draws the
// grid while the page lives (the server's HTML is the first paint, replaced at start).

import {$, $$, el} from './dom.js';
import {createClient} from './client.js';
import {cellCards as cellCardsOf, lanesOf, phasesOf} from './store.js';

const client = createClient();
const {config, t, tn, store} = client;

// ---------------------------------------------------------------------------
// state helpers: always the view (confirmed state with this page's pending guesses)

const S = () => store.view;
const phases = () => phasesOf(S());
const lanes = () => lanesOf(S());
const cellCards = (phaseId, laneId) => cellCardsOf(S(), phaseId, laneId);
const findCard = id => S().cards.find(c => String(c.id) === String(id));
const findPhase = id => S().phases.find(p => String(p.id) === String(id));
const findLane = id => S().lanes.find(l => String(l.id) === String(id));
const channelName = slug => (config.channels.find(c => c.slug === slug) || {name: slug}).name;
const isMine = evt => String(evt.actor || '') === `${config.me.kind[0]}:${config.me.id}`;

// ---------------------------------------------------------------------------
// the public object: the page's client plus what the board adds

export const board = Object.assign(client, {
  canEditCard(card) {
    const s = S().session.settings || {};
    if (config.isFacilitator) return true;
    if (s.locked || S().session.status === 'closed') return false;
    if (s.edit_policy === 'own') return card.author_participant_id === config.me.id && config.me.kind === 'participant';
    return true;
  },
  // participants may add cards (from the library too) only while the board is open
  canAddCards() {
    const s = S().session.settings || {};
    return !!config.isFacilitator || !(s.locked || S().session.status === 'closed');
  },
  render: () => render(),
});

store.subscribe(change => {
  if (change.kind === 'presence' || change.kind === 'connection') { showPresence(); return; }
  if (change.kind === 'event' && !change.mine && !isMine(change.event)) noteRemote(change.event);
  scheduleRender();
});

// ---------------------------------------------------------------------------
// polite announcements of remote changes: one summary, not one per keystroke

let remoteBuffer = [];
let remoteTimer = null;
function noteRemote(evt) {
  remoteBuffer.push(evt);
  if (remoteTimer) return;
  remoteTimer = setTimeout(() => {
    const n = remoteBuffer.length;
    const adds = remoteBuffer.filter(e => e.event === 'card.add').map(e => e.data.card.title);
    remoteBuffer = [];
    remoteTimer = null;
    if (adds.length === 1 && n === 1) board.announce(t('New card: %(title)s', {title: adds[0]}));
    else board.announce(tn('%(n)s change by others on the board', '%(n)s changes by others on the board', n));
  }, 2500);
}

// ---------------------------------------------------------------------------
// presence: who is here (nobody is claimed while this page is not connected)

function showPresence() {
  const people = store.presence;
  const names = people.map(p => p.name).filter(Boolean);
  $('#presence').textContent = people.length ? t('%(n)s online', {n: people.length}) + (names.length ? `: ${names.join(', ')}` : '') : '';
  markEditing(people);
}

// ---------------------------------------------------------------------------
// rendering

function cardNode(card) {
  const pendingCard = String(card.id).startsWith('tmp-');
  const li = el('li', {class: `card${pendingCard ? ' pending' : ''}`, id: `card-${card.id}`, 'data-card-id': card.id,
    draggable: board.canEditCard(card) ? 'true' : 'false', tabindex: '0',
    'aria-label': card.title});
  const body = el('div', {class: 'card-body'});
  body.append(el('h3', {class: 'card-title', text: card.title}));
  if (card.statement) body.append(el('p', {class: 'card-statement', text: card.statement}));
  if (card.channels && card.channels.length) {
    const ul = el('ul', {class: 'chips', 'aria-label': t('Channels')});
    for (const c of card.channels) ul.append(el('li', {class: 'chip', text: channelName(c)}));
    body.append(ul);
  }
  const meta = el('div', {class: 'card-meta'});
  if (card.author) meta.append(el('span', {class: 'author', text: card.author}));
  if (card.votes) meta.append(el('span', {class: 'votes', text: tn('%(n)s vote', '%(n)s votes', card.votes)}));
  const editing = el('span', {class: 'editing', hidden: true});
  meta.append(editing);
  body.append(meta);
  li.append(body);
  if (pendingCard) meta.append(el('span', {class: 'not-saved', text: t('Not saved yet')}));
  li.append(el('button', {type: 'button', class: 'card-menu-btn', 'aria-haspopup': 'menu',
    'aria-label': t('Actions for card %(title)s', {title: card.title}), text: '⋯'}));
  board.emit('card-rendered', {node: li, card, meta});
  return li;
}

function phaseLabel(p, i) {
  return p.desired_name || p.current_name || t('Phase %(n)s', {n: i + 1});
}

function render() {
  renderQueued = false;
  const state = S();
  const table = $('#journey');
  const active = document.activeElement;
  let focusKey = active && active !== document.body && active.closest ? focusKeyOf(active) : null;
  if (!focusKey && wantFocus && (!active || active === document.body)) focusKey = wantFocus;
  const ps = phases();
  const ls = lanes();

  const headRow = el('tr');
  const corner = el('td', {class: 'corner'});
  corner.append(el('button', {type: 'button', class: 'btn btn-small', id: 'add-phase', text: `+ ${t('Phase')}`}));
  headRow.append(corner);
  const focus = state.session.settings || {};
  ps.forEach((p, i) => {
    const th = el('th', {scope: 'col', class: `phase-head${focus.focus_phase_id === p.id ? ' focused' : ''}`, 'data-phase-id': p.id});
    th.append(el('span', {class: 'phase-no', text: String(i + 1)}), ' ',
      el('span', {class: 'phase-name', text: phaseLabel(p, i)}),
      el('button', {type: 'button', class: 'phase-menu-btn', 'aria-haspopup': 'menu',
        'aria-label': t('Actions for phase %(name)s', {name: phaseLabel(p, i)}), text: '⋯'}));
    headRow.append(th);
  });
  const thead = el('thead', {}, headRow);

  const tbody = el('tbody');
  for (const lane of ls) {
    const tr = el('tr', {class: `lane lane-${lane.kind}${focus.focus_lane_id === lane.id ? ' focused' : ''}`, 'data-lane-id': lane.id});
    const th = el('th', {scope: 'row', class: 'lane-head'});
    th.append(el('span', {class: 'lane-name', text: lane.name}),
      el('button', {type: 'button', class: 'lane-menu-btn', 'aria-haspopup': 'menu',
        'aria-label': t('Actions for lane %(name)s', {name: lane.name}), text: '⋯'}));
    tr.append(th);
    ps.forEach((p, i) => {
      const td = el('td', {class: `cell${focus.focus_phase_id === p.id ? ' focused' : ''}`, 'data-phase-id': p.id, 'data-lane-id': lane.id});
      if (lane.kind === 'current') td.append(el('p', {class: 'cell-label current-name', text: p.current_name || ''}));
      if (lane.kind === 'desired') {
        td.append(el('p', {class: 'cell-label desired-name', text: p.desired_name || ''}));
        if (p.statement) td.append(el('p', {class: 'cell-statement', text: p.statement}));
      }
      const ul = el('ul', {class: 'cards'});
      for (const c of cellCards(p.id, lane.id)) ul.append(cardNode(c));
      td.append(ul);
      const add = el('button', {type: 'button', class: 'add-card'});
      add.append('+ ', el('span', {class: 'visually-hidden', text: t('Add card to %(phase)s, %(lane)s', {phase: phaseLabel(p, i), lane: lane.name})}),
        el('span', {'aria-hidden': 'true', text: t('Card')}));
      td.append(add);
      tr.append(td);
    });
    tbody.append(tr);
  }
  table.replaceChildren(el('caption', {class: 'visually-hidden', text: t('Customer journey: phases as columns, lanes as rows')}), thead, tbody);
  table.dataset.rendered = 'js'; // the server's first paint is gone: from here on only this code draws
  if (focusKey) restoreFocus(focusKey);
  markEditing(store.presence);
  renderLibraryState();
  board.emit('render', state);
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
}

// ---------------------------------------------------------------------------
// keyboard focus survives redraws: it is kept as a key (card, cell, phase, lane), not a node.
// After a dialog closes, focus goes back to what opened it, found again by its key, also when
// the grid was redrawn meanwhile (and again after the next redraws, until the person moves on).

let wantFocus = null;

function focusKeyOf(node) {
  const card = node.closest('.card');
  if (card) return {card: card.dataset.cardId, menu: node.classList.contains('card-menu-btn'),
    button: node !== card && node.tagName === 'BUTTON' ? node.classList[0] : null}; // e.g. a vote button
  const cell = node.closest('.cell');
  if (cell && node.classList.contains('add-card')) return {cell: [cell.dataset.phaseId, cell.dataset.laneId]};
  const ph = node.closest('.phase-head');
  if (ph) return {phase: ph.dataset.phaseId};
  const lh = node.closest('.lane');
  if (lh && node.classList.contains('lane-menu-btn')) return {lane: lh.dataset.laneId};
  if (node.id === 'add-phase' || node.id === 'add-lane') return {id: node.id};
  const entry = node.closest('.lib-entry');
  if (entry && node.classList.contains('lib-add')) return {entry: entry.dataset.entryId};
  return null;
}

function nodeForKey(key) {
  if (key.card) {
    // a card added by this page changes id from tmp-<op_id> to its real id when the server confirms it
    const card = document.getElementById(`card-${key.card}`) || document.getElementById(`card-${store.cardId(key.card)}`);
    if (!card) return null;
    if (key.menu) return $('.card-menu-btn', card);
    if (key.button) {
      // the same button, or (when it is now disabled, e.g. no votes left) its neighbour, or the card
      const b = $(`.${key.button}`, card);
      if (b && !b.disabled) return b;
      const other = b && b.parentElement && $$('button', b.parentElement).find(x => !x.disabled);
      return other || card;
    }
    return card;
  }
  if (key.cell) return $(`.cell[data-phase-id="${key.cell[0]}"][data-lane-id="${key.cell[1]}"] .add-card`);
  if (key.phase) return $(`.phase-head[data-phase-id="${key.phase}"] .phase-menu-btn`);
  if (key.lane) return $(`.lane[data-lane-id="${key.lane}"] .lane-menu-btn`);
  if (key.id) return document.getElementById(key.id);
  if (key.entry) return $(`.lib-entry[data-entry-id="${key.entry}"] .lib-add`);
  return null;
}

function restoreFocus(key) {
  const target = nodeForKey(key);
  if (target && target !== document.activeElement) target.focus({preventScroll: true});
  return !!target;
}

// send focus back to `key` now and after the redraws that follow (a dialog's own change)
function returnFocusTo(key) {
  if (!key) return;
  wantFocus = key;
  restoreFocus(key);
}
document.addEventListener('pointerdown', () => { wantFocus = null; }, true);
document.addEventListener('focusin', ev => {
  // the person moved on: stop pulling focus back
  if (wantFocus && ev.target !== nodeForKey(wantFocus) && !ev.target.closest('dialog, #menu')) wantFocus = null;
});

function markEditing(people) {
  $$('.card .editing').forEach(s => { s.hidden = true; s.textContent = ''; });
  for (const p of people) {
    if (!p.editing || (p.kind === config.me.kind && p.id === config.me.id)) continue;
    const node = document.getElementById(`card-${p.editing}`);
    if (!node) continue;
    const span = $('.editing', node);
    span.hidden = false;
    const someone = t('Someone');  // a separate call: Babel does not see a t() nested in another's arguments
    span.textContent = t('%(name)s is editing', {name: p.name || someone});
  }
}

// ---------------------------------------------------------------------------
// card operations: the store shows each at once (its guess) until the server answers

function addCard(fields) {
  return board.send({type: 'card.add', ...fields});
}

function updateCard(card, changes) {
  return board.send({type: 'card.update', ...store.cardRef(card), ...changes});
}

function moveCard(card, phaseId, laneId, index) {
  const others = cellCards(phaseId, laneId).filter(c => c.id !== card.id);
  const idx = Math.max(0, Math.min(index ?? others.length, others.length));
  const op = {type: 'card.move', ...store.cardRef(card), phase_id: phaseId, lane_id: laneId, index: idx};
  return board.send(op).then(r => {
    board.announce(t('Card moved to %(phase)s, %(lane)s', {phase: phaseLabel(findPhase(phaseId) || {}, phases().findIndex(p => p.id === phaseId)), lane: (findLane(laneId) || {}).name || ''}));
    return r;
  });
}

function deleteCard(card) {
  // a refusal is shown by send(); nobody else waits for the answer
  return board.send({type: 'card.delete', ...store.cardRef(card)})
    .then(r => { board.announce(t('Card deleted')); return r; }, () => null);
}

// ---------------------------------------------------------------------------
// the card dialog: add, edit, and move by keyboard

const cardDialog = $('#card-dialog');
let dialogMode = null;

function fillSelect(select, options, value) {
  select.replaceChildren(...options.map(([v, label]) => el('option', {value: String(v), text: label, selected: String(v) === String(value)})));
}

function refreshIndexOptions(card) {
  const phaseId = Number($('#cd-phase').value);
  const laneId = Number($('#cd-lane').value);
  const cards = cellCards(phaseId, laneId).filter(c => !card || c.id !== card.id);
  const opts = [];
  for (let i = 0; i <= cards.length; i++) {
    opts.push([i, i === cards.length ? t('At the end') : t('Before “%(title)s”', {title: cards[i].title})]);
  }
  let current = cards.length;
  if (card && card.phase_id === phaseId && card.lane_id === laneId) {
    current = cellCards(phaseId, laneId).findIndex(c => c.id === card.id);
  }
  fillSelect($('#cd-index'), opts, current);
}

function openCardDialog({mode, card = null, phaseId, laneId, preset = {}, entry = null, returnFocus}) {
  // where focus goes back when the dialog closes, as a key: the node itself is redrawn meanwhile
  dialogMode = {mode, card, entry, returnFocus: returnFocus ? focusKeyOf(returnFocus) : null};
  const form = $('#card-form');
  $('#card-dialog-title').textContent = {add: t('New card'), edit: t('Edit card'), move: t('Move card')}[mode];
  const src = card || preset;
  $('#cd-title').value = src.title || '';
  $('#cd-statement').value = src.statement || '';
  for (const box of $$('input[name="channels"]', form)) box.checked = (src.channels || []).includes(box.value);
  fillSelect($('#cd-phase'), phases().map((p, i) => [p.id, `${i + 1}. ${phaseLabel(p, i)}`]), card ? card.phase_id : phaseId);
  fillSelect($('#cd-lane'), lanes().map(l => [l.id, l.name]), card ? card.lane_id : laneId);
  refreshIndexOptions(card);
  const moveOnly = mode === 'move';
  for (const id of ['cd-title', 'cd-statement']) $(`#${id}`).closest('.field').hidden = moveOnly;
  $('.channels-field', form).hidden = moveOnly;
  $('#cd-error').textContent = '';
  cardDialog.showModal();
  (moveOnly ? $('#cd-phase') : $('#cd-title')).focus();
  board.emit('editing', mode === 'edit' && card ? card.id : null); // presence (live.js)
}

$('#cd-phase').addEventListener('change', () => refreshIndexOptions(dialogMode && dialogMode.card));
$('#cd-lane').addEventListener('change', () => refreshIndexOptions(dialogMode && dialogMode.card));
$('#cd-cancel').addEventListener('click', () => closeCardDialog());
cardDialog.addEventListener('close', () => {
  board.emit('editing', null);
  returnFocusTo(dialogMode && dialogMode.returnFocus);
});

function closeCardDialog() {
  cardDialog.close();
}

$('#card-form').addEventListener('submit', async ev => {
  ev.preventDefault();
  if (!dialogMode) return;
  const form = ev.target;
  const title = $('#cd-title').value.trim();
  const statement = $('#cd-statement').value.trim();
  const channels = $$('input[name="channels"]:checked', form).map(b => b.value);
  const phaseId = Number($('#cd-phase').value);
  const laneId = Number($('#cd-lane').value);
  const index = Number($('#cd-index').value);
  const {mode, card, entry} = dialogMode;
  if (mode !== 'move' && !title) { $('#cd-error').textContent = t('Give the card a title.'); $('#cd-title').focus(); return; }
  if (mode !== 'move' && title.length > config.limits.title) { $('#cd-error').textContent = t('The title is too long.'); return; }
  cardDialog.close();
  try {
    if (mode === 'add') {
      const fields = {phase_id: phaseId, lane_id: laneId, title, statement, channels, index};
      if (entry) fields.library_entry_id = entry.id;
      await addCard(fields);
    } else {
      const changes = {};
      if (mode === 'edit') {
        if (title !== card.title) changes.title = title;
        if (statement !== (card.statement || '')) changes.statement = statement;
        if (JSON.stringify(channels) !== JSON.stringify(card.channels || [])) changes.channels = channels;
        if (Object.keys(changes).length) await updateCard(card, changes);
      }
      const currentIdx = cellCards(card.phase_id, card.lane_id).findIndex(c => c.id === card.id);
      if (phaseId !== card.phase_id || laneId !== card.lane_id || index !== currentIdx) {
        await moveCard(card, phaseId, laneId, index);
      }
    }
  } catch (e) { /* toast shown by send() */ }
});

// ---------------------------------------------------------------------------
// phase and lane dialogs

const phaseDialog = $('#phase-dialog');
let phaseTarget = null;
function openPhaseDialog(phase, index = null, returnFocus = null) {
  phaseTarget = {phase, index, returnFocus: returnFocus ? focusKeyOf(returnFocus) : null};
  $('#phase-dialog-title').textContent = phase ? t('Edit phase') : t('New phase');
  $('#pd-current').value = phase ? (phase.current_name || '') : '';
  $('#pd-desired').value = phase ? phase.desired_name : '';
  $('#pd-statement').value = phase ? phase.statement : '';
  $('#pd-error').textContent = '';
  phaseDialog.showModal();
  $('#pd-desired').focus();
}
$('#pd-cancel').addEventListener('click', () => phaseDialog.close());
phaseDialog.addEventListener('close', () => returnFocusTo(phaseTarget && phaseTarget.returnFocus));
$('#phase-form').addEventListener('submit', async ev => {
  ev.preventDefault();
  const desired = $('#pd-desired').value.trim();
  if (!desired) { $('#pd-error').textContent = t('Give the phase a name.'); return; }
  const fields = {desired_name: desired, current_name: $('#pd-current').value.trim() || null, statement: $('#pd-statement').value.trim()};
  phaseDialog.close();
  try {
    if (phaseTarget.phase) await board.send({type: 'phase.update', id: phaseTarget.phase.id, ...fields});
    else await board.send({type: 'phase.add', ...fields, index: phaseTarget.index ?? undefined});
  } catch (e) { /* toast */ }
});

const laneDialog = $('#lane-dialog');
let laneTarget = null;
let laneReturn = null;
function openLaneDialog(lane, returnFocus = null) {
  laneTarget = lane;
  laneReturn = returnFocus ? focusKeyOf(returnFocus) : null;
  $('#lane-dialog-title').textContent = lane ? t('Rename lane') : t('New lane');
  $('#ld-name').value = lane ? lane.name : '';
  $('#ld-error').textContent = '';
  laneDialog.showModal();
  $('#ld-name').focus();
}
$('#ld-cancel').addEventListener('click', () => laneDialog.close());
laneDialog.addEventListener('close', () => returnFocusTo(laneReturn));
$('#lane-form').addEventListener('submit', async ev => {
  ev.preventDefault();
  const name = $('#ld-name').value.trim();
  if (!name) { $('#ld-error').textContent = t('Give the lane a name.'); return; }
  laneDialog.close();
  try {
    if (laneTarget) await board.send({type: 'lane.update', id: laneTarget.id, name});
    else await board.send({type: 'lane.add', name, kind: 'custom'});
  } catch (e) { /* toast */ }
});

// ---------------------------------------------------------------------------
// popup menus (keyboard: arrows, Enter, Escape)

const menu = $('#menu');
let menuReturn = null;
function openMenu(anchor, items) {
  menuReturn = anchor;
  menu.replaceChildren(...items.map(([label, fn, danger]) => {
    const b = el('button', {type: 'button', role: 'menuitem', class: danger ? 'danger' : '', text: label, tabindex: '-1'});
    b.addEventListener('click', () => { closeMenu(false); fn(); });
    return b;
  }));
  const r = anchor.getBoundingClientRect();
  menu.style.top = `${window.scrollY + r.bottom + 4}px`;
  menu.style.left = `${Math.max(8, window.scrollX + r.right - 200)}px`;
  menu.hidden = false;
  anchor.setAttribute('aria-expanded', 'true');
  menu.firstChild && menu.firstChild.focus();
}
function closeMenu(restore = true) {
  if (menu.hidden) return;
  menu.hidden = true;
  if (menuReturn) {
    menuReturn.setAttribute('aria-expanded', 'false');
    if (restore && document.contains(menuReturn)) menuReturn.focus();
  }
}
menu.addEventListener('keydown', ev => {
  const items = $$('[role="menuitem"]', menu);
  const i = items.indexOf(document.activeElement);
  if (ev.key === 'ArrowDown') { ev.preventDefault(); items[(i + 1) % items.length].focus(); }
  else if (ev.key === 'ArrowUp') { ev.preventDefault(); items[(i - 1 + items.length) % items.length].focus(); }
  else if (ev.key === 'Escape' || ev.key === 'Tab') { ev.preventDefault(); closeMenu(); }
});
document.addEventListener('click', ev => { if (!menu.hidden && !menu.contains(ev.target) && !ev.target.closest('[aria-haspopup="menu"]')) closeMenu(false); });

function cardMenu(card, anchor) {
  const items = [];
  if (board.canEditCard(card)) {
    items.push([t('Edit'), () => openCardDialog({mode: 'edit', card, returnFocus: anchor})]);
    items.push([t('Move…'), () => openCardDialog({mode: 'move', card, returnFocus: anchor})]);
    items.push([t('Delete'), () => { if (confirm(t('Delete card “%(title)s”?', {title: card.title}))) deleteCard(card); }, true]);
  }
  board.emit('card-menu', {card, items});
  if (!items.length) items.push([t('You cannot change this card.'), () => {}]);
  openMenu(anchor, items);
}

function phaseMenu(phase, anchor) {
  const ps = phases();
  const i = ps.findIndex(p => p.id === phase.id);
  const items = [[t('Edit'), () => openPhaseDialog(phase, null, anchor)]];
  if (i > 0) items.push([t('Move left'), () => board.send({type: 'phase.move', id: phase.id, index: i - 1}).catch(() => {})]);
  if (i < ps.length - 1) items.push([t('Move right'), () => board.send({type: 'phase.move', id: phase.id, index: i + 1}).catch(() => {})]);
  items.push([t('Add phase after this one'), () => openPhaseDialog(null, i + 1, anchor)]);
  if (config.isFacilitator) items.push([t('Delete phase'), () => { if (confirm(t('Delete this phase and all its cards?'))) board.send({type: 'phase.delete', id: phase.id}).catch(() => {}); }, true]);
  board.emit('phase-menu', {phase, items});
  openMenu(anchor, items);
}

function laneMenu(lane, anchor) {
  const ls = lanes();
  const i = ls.findIndex(l => l.id === lane.id);
  const items = [[t('Rename'), () => openLaneDialog(lane, anchor)]];
  if (i > 0) items.push([t('Move up'), () => board.send({type: 'lane.move', id: lane.id, index: i - 1}).catch(() => {})]);
  if (i < ls.length - 1) items.push([t('Move down'), () => board.send({type: 'lane.move', id: lane.id, index: i + 1}).catch(() => {})]);
  if (config.isFacilitator) items.push([t('Delete lane'), () => { if (confirm(t('Delete this lane and all its cards?'))) board.send({type: 'lane.delete', id: lane.id}).catch(() => {}); }, true]);
  board.emit('lane-menu', {lane, items});
  openMenu(anchor, items);
}

// ---------------------------------------------------------------------------
// clicks, keys and drag and drop on the grid (delegated: the grid is redrawn)

const grid = $('#grid-scroll');
grid.addEventListener('click', ev => {
  const target = ev.target;
  if (target.closest('#add-phase')) return openPhaseDialog(null, null, target.closest('#add-phase'));
  if (target.closest('#add-lane')) return openLaneDialog(null, target.closest('#add-lane'));
  const add = target.closest('.add-card');
  if (add) {
    const cell = add.closest('.cell');
    return openCardDialog({mode: 'add', phaseId: Number(cell.dataset.phaseId), laneId: Number(cell.dataset.laneId), returnFocus: add});
  }
  const cmb = target.closest('.card-menu-btn');
  if (cmb) { const card = findCard(cmb.closest('.card').dataset.cardId); if (card) cardMenu(card, cmb); return; }
  const pmb = target.closest('.phase-menu-btn');
  if (pmb) { const p = findPhase(pmb.closest('.phase-head').dataset.phaseId); if (p) phaseMenu(p, pmb); return; }
  const lmb = target.closest('.lane-menu-btn');
  if (lmb) { const l = findLane(lmb.closest('.lane').dataset.laneId); if (l) laneMenu(l, lmb); }
});

grid.addEventListener('dblclick', ev => {
  const node = ev.target.closest('.card');
  if (!node) return;
  const card = findCard(node.dataset.cardId);
  if (card && board.canEditCard(card)) openCardDialog({mode: 'edit', card, returnFocus: node});
});

// Keyboard on a focused card: Enter edits, M moves (dialog), Delete deletes,
// Alt+←/→ moves to the previous/next phase, Alt+↑/↓ within the cell,
// Alt+Shift+↑/↓ to the lane above/below.
grid.addEventListener('keydown', ev => {
  const node = ev.target.classList && ev.target.classList.contains('card') ? ev.target : null;
  if (!node) return;
  const card = findCard(node.dataset.cardId);
  if (!card) return;
  const editable = board.canEditCard(card);
  if (ev.key === 'Enter' && editable) { ev.preventDefault(); return openCardDialog({mode: 'edit', card, returnFocus: node}); }
  if ((ev.key === 'm' || ev.key === 'M') && editable && !ev.altKey && !ev.ctrlKey) { ev.preventDefault(); return openCardDialog({mode: 'move', card, returnFocus: node}); }
  if (ev.key === 'Delete' && editable) { ev.preventDefault(); if (confirm(t('Delete card “%(title)s”?', {title: card.title}))) deleteCard(card); return; }
  if (ev.key === 'ContextMenu' || (ev.shiftKey && ev.key === 'F10')) { ev.preventDefault(); return cardMenu(card, $('.card-menu-btn', node) || node); }
  if (!ev.altKey || !editable) return;
  const ps = phases(), ls = lanes();
  const pi = ps.findIndex(p => p.id === card.phase_id), li = ls.findIndex(l => l.id === card.lane_id);
  const inCell = cellCards(card.phase_id, card.lane_id);
  const ci = inCell.findIndex(c => c.id === card.id);
  let move = null;
  if (ev.key === 'ArrowLeft' && pi > 0) move = [ps[pi - 1].id, card.lane_id, undefined];
  else if (ev.key === 'ArrowRight' && pi < ps.length - 1) move = [ps[pi + 1].id, card.lane_id, undefined];
  else if (ev.key === 'ArrowUp' && ev.shiftKey && li > 0) move = [card.phase_id, ls[li - 1].id, undefined];
  else if (ev.key === 'ArrowDown' && ev.shiftKey && li < ls.length - 1) move = [card.phase_id, ls[li + 1].id, undefined];
  else if (ev.key === 'ArrowUp' && !ev.shiftKey && ci > 0) move = [card.phase_id, card.lane_id, ci - 1];
  else if (ev.key === 'ArrowDown' && !ev.shiftKey && ci < inCell.length - 1) move = [card.phase_id, card.lane_id, ci + 1];
  if (move) { ev.preventDefault(); moveCard(card, ...move).catch(() => {}); }
});

// Drag and drop. What is being dragged is read from the drag itself (its data types), never from
// a flag that `dragend` would have to clear: a redraw removes the dragged card from the page, so
// its `dragend` never reaches the grid (a stale flag used to make the next library drop fail).
let dragCardId = null; // the card being dragged, for the drop index; reset by every dragstart
const dragKind = ev => {
  const types = Array.from((ev.dataTransfer && ev.dataTransfer.types) || []);
  if (types.includes('text/x-card-id')) return 'card';
  if (types.includes('text/x-library-entry')) return 'entry';
  return null;
};
const clearDropTargets = () => $$('.dragging, .drop-target').forEach(n => n.classList.remove('dragging', 'drop-target'));
document.addEventListener('dragstart', () => { dragCardId = null; clearDropTargets(); }, true);
document.addEventListener('dragend', clearDropTargets, true);
document.addEventListener('drop', clearDropTargets, true);
grid.addEventListener('dragstart', ev => {
  const node = ev.target.closest && ev.target.closest('.card');
  if (!node) return;
  dragCardId = node.dataset.cardId;
  ev.dataTransfer.setData('text/x-card-id', dragCardId);
  ev.dataTransfer.effectAllowed = 'move';
  node.classList.add('dragging');
});
grid.addEventListener('dragover', ev => {
  const cell = ev.target.closest('.cell');
  const kind = dragKind(ev);
  if (!cell || !kind || (kind === 'entry' && !board.canAddCards())) return;
  ev.preventDefault();
  ev.dataTransfer.dropEffect = kind === 'card' ? 'move' : 'copy';
  $$('.drop-target').forEach(n => n !== cell && n.classList.remove('drop-target'));
  cell.classList.add('drop-target');
});
grid.addEventListener('dragleave', ev => {
  const cell = ev.target.closest && ev.target.closest('.cell');
  if (cell && !cell.contains(ev.relatedTarget)) cell.classList.remove('drop-target');
});
grid.addEventListener('drop', ev => {
  const cell = ev.target.closest('.cell');
  if (!cell) return;
  ev.preventDefault();
  clearDropTargets();
  const phaseId = Number(cell.dataset.phaseId), laneId = Number(cell.dataset.laneId);
  const cardId = ev.dataTransfer.getData('text/x-card-id');
  const entryId = ev.dataTransfer.getData('text/x-library-entry');
  // index: before the first card whose middle is below the pointer
  const nodes = $$('.card', cell).filter(n => !cardId || n.dataset.cardId !== cardId);
  let index = nodes.findIndex(n => { const r = n.getBoundingClientRect(); return ev.clientY < r.top + r.height / 2; });
  if (index < 0) index = nodes.length;
  dragCardId = null;
  if (cardId) {
    const card = findCard(cardId) || findCard(store.cardId(cardId));
    if (card && board.canEditCard(card)) moveCard(card, phaseId, laneId, index).catch(() => {});
  } else if (entryId && board.canAddCards()) {
    const entry = libraryEntries.get(Number(entryId));
    if (entry) addCard({phase_id: phaseId, lane_id: laneId, library_entry_id: entry.id, ...entry.card, index}).catch(() => {});
  }
});

// ---------------------------------------------------------------------------
// the library panel

// the page carries the entries it shows; the API is asked only when the filters change
const libraryEntries = new Map(JSON.parse($('#board-library').textContent).map(e => [e.id, e]));
const libList = $('#library-list');

function libraryNode(e) {
  const li = el('li', {class: 'lib-entry', 'data-entry-id': e.id, draggable: 'true'});
  const h = el('h3', {class: 'lib-name', text: e.name});
  if (e.origin === 'vng') h.append(' ', el('span', {class: 'badge', text: 'VNG'}));
  li.append(h);
  if (e.card.statement) li.append(el('p', {class: 'lib-statement', text: e.card.statement}));
  if (e.card.channels.length) {
    const ul = el('ul', {class: 'chips'});
    for (const c of e.card.channels) ul.append(el('li', {class: 'chip', text: channelName(c)}));
    li.append(ul);
  }
  const b = el('button', {type: 'button', class: 'btn btn-small lib-add'});
  b.append(t('Add to board'), el('span', {class: 'visually-hidden', text: `: ${e.name}`}));
  li.append(b);
  offerEntry(li, board.canAddCards());
  return li;
}

// A locked (or closed) board offers no way to put an entry on it: no button, no dragging.
function offerEntry(li, open) {
  li.draggable = open;
  const b = $('.lib-add', li);
  if (b) b.hidden = !open;
}
function renderLibraryState() {
  const open = board.canAddCards();
  for (const li of $$('#library-list .lib-entry')) offerEntry(li, open);
}

let libTimer = null;
async function loadLibrary() {
  const params = new URLSearchParams(new FormData($('#library-filters')));
  for (const [k, v] of [...params.entries()]) if (!v) params.delete(k);
  try {
    const url = new URL(config.libraryUrl, location.href);
    for (const [k, v] of params) url.searchParams.set(k, v);
    const res = await fetch(url, {credentials: 'same-origin'});
    const body = await res.json();
    for (const e of body.entries) libraryEntries.set(e.id, e);
    libList.replaceChildren(...body.entries.map(libraryNode));
    $('#library-count').textContent = tn('%(n)s entry', '%(n)s entries', body.count);
  } catch (e) { /* keep the current list */ }
}
$('#library-filters').addEventListener('input', () => { clearTimeout(libTimer); libTimer = setTimeout(loadLibrary, 200); });
$('#library-filters').addEventListener('submit', ev => { ev.preventDefault(); loadLibrary(); });

function defaultCellFor(entry) {
  const focus = S().session.settings || {};
  const ps = phases();
  const lane = lanes().find(l => l.kind === entry.lane) || lanes().find(l => l.kind === 'innovations') || lanes()[0];
  const phase = ps.find(p => p.id === focus.focus_phase_id) || ps[0];
  return [phase && phase.id, lane && lane.id];
}

libList.addEventListener('click', ev => {
  const b = ev.target.closest('.lib-add');
  if (!b) return;
  const entry = libraryEntries.get(Number(b.closest('.lib-entry').dataset.entryId));
  if (!entry || !board.canAddCards()) return;
  if (!S().phases.length) { board.toast(t('Add a phase first.')); return; }
  const [phaseId, laneId] = defaultCellFor(entry);
  openCardDialog({mode: 'add', phaseId, laneId, entry, returnFocus: b,
    preset: entry.card});
});
libList.addEventListener('dragstart', ev => {
  const li = ev.target.closest && ev.target.closest('.lib-entry');
  if (!li) return;
  ev.dataTransfer.setData('text/x-library-entry', li.dataset.entryId);
  ev.dataTransfer.effectAllowed = 'copy';
});

$('#toggle-library').addEventListener('click', ev => {
  const panel = $('#library-panel');
  const open = panel.hidden;
  panel.hidden = !open;
  ev.currentTarget.setAttribute('aria-expanded', String(open));
});

// ---------------------------------------------------------------------------
// start: the grid drawn from the store (replacing the server's first paint), then live

render();
showPresence();
window.workshopBoard = board; // for tests
client.goLive();
