// Facilitation on the board: the shared countdown, the facilitator's control bar, dot voting on
// cards, the participants list. A client of the page's store (store.js), like board.js: the
// store's reducers apply the facilitation events; this module only draws what the store holds
// and reacts to events that call for a word or a scroll. Every control is also enforced on the
// server. User text is only ever set with textContent.
import {board} from './board.js';
import {$, N_, el} from './dom.js';
import {ranking} from './store.js';

const t = (key, params) => board.t(key, params);
const cfg = board.config;
const isFac = cfg.isFacilitator;
const store = board.store;
const S = () => store.view;


const send = op => board.send(op).catch(() => null); // board.send shows the error itself

// ---------------------------------------------------------------------------
// the server's clock: offset = server time - local time. Network delay only
// makes a sample smaller, so the largest recent sample is the best estimate;
// replayed (old) events therefore never move the clock backwards.

let clockOffset = null;
function noteServerNow(iso) {
  if (!iso) return;
  const sample = Date.parse(iso) - Date.now();
  if (Number.isNaN(sample)) return;
  clockOffset = clockOffset === null ? sample : Math.max(clockOffset, sample);
}
const serverNow = () => Date.now() + (clockOffset || 0);

// ---------------------------------------------------------------------------
// what an event means for the people in the room (the state itself is the store's)

let pendingFocusScroll = false;
const SPOKEN = {
  'vote.open': () => t('Voting has started.'),
  'vote.reveal': () => t('The votes are revealed.'),
  'vote.close': () => t('The vote is closed; the cards are in order of priority.'),
};
store.subscribe(change => {
  if (change.kind === 'snapshot') {
    noteServerNow((store.confirmed.timer || {}).now);
    updateTimer();
    return;
  }
  if (change.kind === 'presence' || change.kind === 'connection') { renderParticipants(); return; }
  if (change.kind !== 'event') return;
  const {event: evt, before} = change;
  const d = evt.data || {};
  if (d.timer) { noteServerNow(d.timer.now); announcedZero = false; announcedMinute = false; updateTimer(); }
  if (SPOKEN[evt.event]) board.announce(SPOKEN[evt.event]());
  const after = store.confirmed.session.settings || {};
  if (before.focus_phase_id !== after.focus_phase_id || before.focus_lane_id !== after.focus_lane_id) pendingFocusScroll = true;
  if (evt.event === 'participant.remove' && cfg.me.kind === 'participant' && cfg.me.id === d.id) removedFromSession();
});

function removedFromSession() {
  document.body.classList.add('removed');
  const box = $('#facilitation');
  if (box) box.prepend(el('p', {class: 'removed-note', role: 'alert', text: t('The facilitator has removed you from this session.')}));
}

// ---------------------------------------------------------------------------
// the countdown everyone sees

const timerBox = $('#round-timer');
const countdown = $('#countdown');
let announcedZero = false;
let announcedMinute = false;

function remainingNow() {
  const tm = S().timer;
  if (!tm) return null;
  if (tm.status === 'running' && tm.ends_at) return Math.ceil((Date.parse(tm.ends_at) - serverNow()) / 1000);
  if (tm.status === 'paused' || tm.status === 'pending') return tm.remaining_seconds;
  return null;
}

function fmt(seconds) {
  const s = Math.max(0, seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

function updateTimer() {
  if (!timerBox) return;
  const tm = S().timer || {status: 'idle'};
  const left = remainingNow();
  let status = tm.status;
  if (status === 'running' && left !== null && left <= 0) status = 'up';
  // before a round starts the timer is idle: no big countdown and no round name that reads as
  // running; only a quiet line saying which round comes next
  const idle = status === 'pending' || status === 'idle' || status === 'finished';
  timerBox.dataset.status = status;
  timerBox.classList.toggle('idle', idle);
  $('#round-label').textContent = idle
    ? (status === 'finished' ? t('All rounds are done') : t('No round running'))
    : tm.name;
  const ins = $('#round-instructions');
  ins.textContent = status === 'pending' && tm.name
    ? t('Next round: %(name)s (%(n)s min)', {name: tm.name, n: Math.round((tm.duration_seconds || 0) / 60)})
    : (idle ? '' : tm.instructions || '');
  let text = '–:––';
  if (!idle && left !== null) text = fmt(left);
  if (status === 'up') text = `0:00 · ${t('Time is up')}`;
  else if (status === 'paused') text = `${fmt(left)} · ${t('Paused')}`;
  if (countdown.textContent !== text) countdown.textContent = text;
  countdown.setAttribute('aria-label', idle ? t('No round running') : status === 'up' ? t('Time is up') : t('%(time)s left', {time: fmt(left || 0)}));
  if (tm.status === 'running') {
    if (left !== null && left <= 60 && left > 0 && !announcedMinute && (tm.duration_seconds || 0) > 90) {
      announcedMinute = true;
      say(t('One minute left in %(name)s.', {name: tm.name}));
    }
    if (left !== null && left <= 0 && !announcedZero) {
      announcedZero = true;
      say(t('Time is up for %(name)s.', {name: tm.name}));
    }
  }
  updateControls();
}

function say(text) {
  const a = $('#timer-announcer');
  if (!a) return;
  a.textContent = '';
  setTimeout(() => { a.textContent = text; }, 50);
}

// ---------------------------------------------------------------------------
// facilitator controls

function updateControls() {
  if (!isFac) return;
  const tm = S().timer || {};
  const st = tm.status;
  const bar = $('#control-bar');
  const dis = (sel, off) => { const b = $(sel, bar); if (b) b.disabled = off; };
  dis('[data-timer="start"]', !(st === 'pending'));
  dis('[data-timer="pause"]', st !== 'running');
  dis('[data-timer="resume"]', st !== 'paused');
  dis('[data-timer="extend"][data-seconds="60"]', !(st === 'running' || st === 'paused'));
  dis('[data-timer="extend"][data-seconds="300"]', !(st === 'running' || st === 'paused'));
  dis('[data-timer="end"]', !(st === 'running' || st === 'paused'));
  dis('[data-timer="next"]', !(S().agenda || []).some(r => r.status === 'pending'));
  const start = $('[data-timer="start"]', bar);
  if (start) start.textContent = tm.name && st === 'pending' ? t('Start “%(name)s”', {name: tm.name}) : t('Start round');
  const v = S().vote;
  const active = v && (v.status === 'open' || v.status === 'revealed');
  dis('[data-vote="open"]', !!active);
  dis('[data-vote="reveal"]', !(v && v.status === 'open'));
  dis('[data-vote="close"]', !active);
}

function fillSelect(select, options, value) {
  if (!select) return;
  // redraw only when the choices change: an open dropdown must survive other people's edits
  const sig = JSON.stringify(options);
  if (select.dataset.sig === sig) {
    const want = value === null || value === undefined ? '' : String(value);
    if (select.value !== want && document.activeElement !== select) select.value = want;
    return;
  }
  select.dataset.sig = sig;
  const keep = select.options[0] && select.options[0].value === '' ? select.options[0] : null;
  const nodes = options.map(([val, label]) => el('option', {value: String(val), text: label}));
  select.replaceChildren(...(keep ? [keep] : []), ...nodes);
  select.value = value === null || value === undefined ? '' : String(value);
}

const byPos = (a, b) => a.position - b.position;
function syncControls() {
  if (!isFac) return;
  const st = S();
  const s = st.session.settings || {};
  $('#ctl-locked').checked = !!s.locked;
  $('#ctl-anonymous').checked = !!s.anonymous;
  $('#ctl-edit-policy').value = s.edit_policy || 'all';
  const phases = [...st.phases].sort(byPos);
  const lanes = [...st.lanes].sort(byPos);
  fillSelect($('#ctl-focus-phase'), phases.map((p, i) => [p.id, `${i + 1}. ${p.desired_name || p.current_name || ''}`]), s.focus_phase_id);
  fillSelect($('#ctl-focus-lane'), lanes.map(l => [l.id, l.name]), s.focus_lane_id);
  const voteLane = $('#ctl-vote-lane');
  const current = voteLane.value || (lanes.find(l => l.kind === 'innovations') || lanes[0] || {}).id;
  fillSelect(voteLane, lanes.map(l => [l.id, l.name]), current);
  updateControls();
}

function wireControls() {
  if (!isFac) return;
  const bar = $('#control-bar');
  bar.addEventListener('click', ev => {
    const b = ev.target.closest('button');
    if (!b) return;
    if (b.dataset.timer) {
      const op = {type: `timer.${b.dataset.timer}`};
      if (b.dataset.timer === 'extend') op.seconds = Number(b.dataset.seconds);
      send(op);
    } else if (b.dataset.vote === 'open') {
      send({type: 'vote.open', lane_id: Number($('#ctl-vote-lane').value),
        votes_per_participant: Number($('#ctl-vote-budget').value) || 3,
        max_per_card: Number($('#ctl-vote-max').value) || 3});
    } else if (b.dataset.vote === 'close') {
      if (confirm(t('Close the vote? The result is fixed on the cards.'))) send({type: 'vote.close'});
    } else if (b.dataset.vote) {
      send({type: `vote.${b.dataset.vote}`});
    }
  });
  $('#ctl-locked').addEventListener('change', e => send({type: 'session.settings', locked: e.target.checked}));
  $('#ctl-anonymous').addEventListener('change', e => send({type: 'session.settings', anonymous: e.target.checked}));
  $('#ctl-edit-policy').addEventListener('change', e => send({type: 'session.settings', edit_policy: e.target.value}));
  $('#ctl-focus-phase').addEventListener('change', e => send({type: 'session.settings', focus_phase_id: e.target.value ? Number(e.target.value) : null}));
  $('#ctl-focus-lane').addEventListener('change', e => send({type: 'session.settings', focus_lane_id: e.target.value ? Number(e.target.value) : null}));
  const toggle = $('#agenda-toggle');
  toggle.addEventListener('click', () => {
    const panel = $('#agenda-panel');
    panel.hidden = !panel.hidden;
    toggle.setAttribute('aria-expanded', String(!panel.hidden));
    if (!panel.hidden) renderAgendaEditor();
  });
  $('#agenda-add').addEventListener('click', () => {
    $('#agenda-list').append(agendaRow({name: '', duration_seconds: 600, instructions: '', focus_lane_kind: null, status: 'pending'}));
    $('#agenda-list li:last-child input').focus();
  });
  $('#agenda-save').addEventListener('click', saveAgenda);
}

// ---------------------------------------------------------------------------
// the agenda editor (facilitator)

const KINDS = [['', N_('whole board')], ['current', N_('Current journey')], ['desired', N_('Desired journey')],
  ['innovations', N_('Service innovations')], ['backoffice', N_('Backoffice')]];

function agendaRow(r) {
  const li = el('li', {class: `agenda-row status-${r.status}`, 'data-round-id': r.id || ''});
  const n = Math.random().toString(36).slice(2, 8);
  const name = el('input', {id: `ag-name-${n}`, class: 'ag-name', maxlength: '120', value: r.name || ''});
  const mins = el('input', {id: `ag-min-${n}`, class: 'ag-min num', type: 'number', min: '1', max: '600',
    value: String(Math.max(1, Math.round((r.duration_seconds || 600) / 60)))});
  const kind = el('select', {id: `ag-kind-${n}`, class: 'ag-kind'});
  for (const [val, label] of KINDS) kind.append(el('option', {value: val, text: t(label)}));
  kind.value = r.focus_lane_kind || '';
  const ins = el('input', {id: `ag-ins-${n}`, class: 'ag-ins', maxlength: '1000', value: r.instructions || ''});
  const del = el('button', {type: 'button', class: 'btn btn-small btn-danger', text: t('Remove'),
    'aria-label': t('Remove round %(name)s', {name: r.name || ''})});
  del.addEventListener('click', () => li.remove());
  const statusText = {running: t('running'), paused: t('paused'), done: t('done'), pending: ''}[r.status] || '';
  li.append(el('label', {for: name.id, text: t('Round')}), name, el('label', {for: mins.id, text: t('Minutes')}), mins,
    el('label', {for: kind.id, text: t('Focus')}), kind, el('label', {for: ins.id, text: t('Instructions')}), ins, el('span', {class: 'muted small', text: statusText}), del);
  if (r.id && r.status === 'pending') {
    const start = el('button', {type: 'button', class: 'btn btn-small', text: t('Start now')});
    start.addEventListener('click', () => send({type: 'timer.start', round_id: r.id}));
    li.append(start);
  }
  return li;
}

function renderAgendaEditor() {
  const list = $('#agenda-list');
  if (!list) return;
  list.replaceChildren(...(S().agenda || []).map(agendaRow));
}

function saveAgenda() {
  const rounds = [...document.querySelectorAll('#agenda-list li')].map(li => {
    const r = {name: $('.ag-name', li).value.trim(), duration_seconds: Math.round(Number($('.ag-min', li).value || 1) * 60),
      focus_lane_kind: $('.ag-kind', li).value || null};
    if (li.dataset.roundId) r.id = Number(li.dataset.roundId);
    r.instructions = $('.ag-ins', li).value.trim();
    return r;
  }).filter(r => r.name);
  board.send({type: 'agenda.set', rounds}).then(() => { renderAgendaEditor(); board.announce(t('Agenda saved.')); }).catch(() => {});
}

// ---------------------------------------------------------------------------
// dot voting

const voteBox = $('#vote-status');
const votesLabel = n => t(n === 1 ? '%(n)s vote' : '%(n)s votes', {n});

// a participant scrolling the board keeps their remaining votes in sight
const budgetPill = el('p', {class: 'vote-budget-pill', id: 'vote-budget-pill', hidden: true, 'aria-hidden': 'true'});
document.body.append(budgetPill);
function renderBudgetPill() {
  const v = S().vote;
  const show = !!(v && v.status === 'open' && cfg.me.kind === 'participant');
  budgetPill.hidden = !show;
  if (show) {
    const left = v.votes_per_participant - used();
    budgetPill.textContent = `${'●'.repeat(Math.max(0, left))}${'○'.repeat(Math.max(0, used()))}  ${t('You have %(left)s of %(n)s votes left', {left, n: v.votes_per_participant})}`;
  }
}
const mine = () => (S().vote && S().vote.mine) || {};
const used = () => Object.values(mine()).reduce((a, b) => a + b, 0);
const laneName = id => (S().lanes.find(l => l.id === id) || {}).name || '';

function renderVoteStatus() {
  renderBudgetPill();
  if (!voteBox) return;
  const v = S().vote;
  document.body.classList.toggle('vote-open', !!(v && v.status === 'open'));
  document.body.classList.toggle('vote-revealed', !!(v && (v.status === 'revealed' || v.status === 'closed')));
  if (!v) { voteBox.hidden = true; voteBox.replaceChildren(); return; }
  voteBox.hidden = false;
  voteBox.dataset.status = v.status;
  const parts = [];
  if (v.status === 'open') {
    parts.push(el('strong', {text: t('Voting on “%(lane)s”', {lane: laneName(v.lane_id)})}));
    if (cfg.me.kind === 'participant') {
      const left = v.votes_per_participant - used();
      parts.push(el('span', {class: 'budget', text: t('You have %(left)s of %(n)s votes left', {left, n: v.votes_per_participant})}));
      parts.push(el('span', {class: 'dots', 'aria-hidden': 'true', text: '●'.repeat(Math.max(0, left)) + '○'.repeat(Math.max(0, used()))}));
    }
    parts.push(el('span', {class: 'muted', text: t('Votes placed: %(total)s · voters: %(voters)s', {total: v.total, voters: v.voters})}));
    parts.push(el('span', {class: 'muted', text: t('Results stay hidden until the facilitator reveals them.')}));
  } else {
    parts.push(el('strong', {text: v.status === 'closed' ? t('Vote result: “%(lane)s”', {lane: laneName(v.lane_id)}) : t('Votes revealed: “%(lane)s”', {lane: laneName(v.lane_id)})}));
    const ranked = ranking(S()).slice(0, 5);
    const ol = el('ol', {class: 'ranking'});
    ranked.forEach(({card, votes, rank}) => ol.append(el('li', {value: rank}, el('span', {class: 'rank-no', 'aria-hidden': 'true', text: `${rank}.`}), ' ',
      el('span', {class: 'rank-title', text: card.title}), ' ', el('span', {class: 'rank-votes', text: votesLabel(votes)}))));
    if (ranked.length) parts.push(ol);
    else parts.push(el('span', {class: 'muted', text: t('No votes were placed.')}));
  }
  voteBox.replaceChildren(...parts);
}

function voteControl({node, card, meta}) {
  const v = S().vote;
  if (!v || card.lane_id !== v.lane_id || String(card.id).startsWith('tmp-')) return;
  const counts = v.counts || {};
  if (v.status === 'revealed' || v.status === 'closed') {
    const n = counts[String(card.id)] || 0;
    node.classList.toggle('has-votes', n > 0);
    // in the card's own flow (its meta line), so it never lies over the card's ⋯ button
    if (n > 0) (meta || node).append(el('span', {class: 'vote-badge', role: 'img', 'aria-label': votesLabel(n), text: String(n)}));
    return;
  }
  if (v.status !== 'open' || cfg.me.kind !== 'participant') return;
  const my = mine()[String(card.id)] || 0;
  const box = el('div', {class: 'vote-control', role: 'group', 'aria-label': t('Votes for %(title)s', {title: card.title})});
  const minus = el('button', {type: 'button', class: 'vote-minus', 'aria-label': t('Take back a vote from %(title)s', {title: card.title}), text: '−'});
  const plus = el('button', {type: 'button', class: 'vote-plus', 'aria-label': t('Vote for %(title)s', {title: card.title}), text: '+'});
  minus.disabled = my === 0;
  plus.disabled = my >= v.max_per_card || used() >= v.votes_per_participant;
  const count = el('span', {class: 'vote-mine', 'aria-live': 'off', text: '●'.repeat(my) || '○'});
  count.setAttribute('title', t('Your votes: %(n)s', {n: my}));
  minus.addEventListener('click', ev => { ev.stopPropagation(); castVote(card, -1); });
  plus.addEventListener('click', ev => { ev.stopPropagation(); castVote(card, +1); });
  box.addEventListener('dblclick', ev => ev.stopPropagation()); // quick double votes must not open the card editor
  box.append(minus, count, plus, el('span', {class: 'visually-hidden', text: t('Your votes: %(n)s', {n: my})}));
  node.append(box);
}

// The store counts this page's own votes (from its pending operation, then from its event);
// the board keeps the keyboard focus on the same vote button through the redraw.
function castVote(card, delta) {
  board.send({type: delta > 0 ? 'vote.cast' : 'vote.retract', card_id: card.id}).then(() => {
    const v = S().vote;
    if (v) board.announce(t('You have %(left)s of %(n)s votes left', {left: v.votes_per_participant - used(), n: v.votes_per_participant}));
  }).catch(() => {});
}

// ---------------------------------------------------------------------------
// participants and presence

function onlineIds() {
  const ids = new Set();
  for (const p of store.presence) {
    if (p.kind && p.kind !== 'participant') continue;
    const id = p.participant_id ?? p.id;
    if (id !== undefined && id !== null) ids.add(Number(id));
  }
  return ids;
}

function renderParticipants() {
  const list = $('#participants-list');
  if (!list) return;
  const online = onlineIds();
  const people = [...(S().participants || [])];
  for (const p of store.presence) { // joined after the page loaded (the store leaves out removed people)
    const id = p.participant_id ?? p.id;
    if ((!p.kind || p.kind === 'participant') && id != null && !people.some(x => x.id === Number(id))) {
      people.push({id: Number(id), name: p.name || null});
    }
  }
  people.sort((a, b) => (online.has(b.id) - online.has(a.id)) || a.id - b.id);
  const sig = JSON.stringify([people, [...online]]);
  if (list.dataset.sig === sig) return; // unchanged: keep the keyboard focus where it is
  list.dataset.sig = sig;
  $('#participants-count').textContent = String(people.length);
  list.replaceChildren(...people.map(p => {
    const on = online.has(p.id);
    const li = el('li', {class: on ? 'online' : 'offline', 'data-participant-id': p.id});
    li.append(el('span', {class: 'presence-dot', 'aria-hidden': 'true'}),
      el('span', {class: 'p-name', text: p.name || t('Participant %(n)s', {n: p.id})}),
      el('span', {class: 'visually-hidden', text: on ? t('online') : t('offline')}));
    if (cfg.me.kind === 'participant' && cfg.me.id === p.id) li.append(el('span', {class: 'muted small', text: ` (${t('you')})`}));
    if (isFac) {
      const rn = el('button', {type: 'button', class: 'btn btn-small', text: t('Rename'), 'aria-label': t('Rename %(name)s', {name: p.name || ''})});
      rn.addEventListener('click', () => {
        const name = prompt(t('New name for %(name)s', {name: p.name || ''}), p.name || '');
        if (name && name.trim()) {
          // the store keeps the name the facilitator typed, also in anonymous mode (no name broadcast)
          send({type: 'participant.rename', id: p.id, name: name.trim()});
        }
      });
      const rm = el('button', {type: 'button', class: 'btn btn-small btn-danger', text: t('Remove'), 'aria-label': t('Remove %(name)s', {name: p.name || ''})});
      rm.addEventListener('click', () => {
        if (confirm(t('Remove %(name)s from the session? Their link stops working at once; their cards stay.', {name: p.name || ''}))) {
          send({type: 'participant.remove', id: p.id});
        }
      });
      li.append(rn, rm);
    }
    return li;
  }));
}

// ---------------------------------------------------------------------------
// focus, lock, card menu

function applyBoardClasses() {
  const s = S().session.settings || {};
  const journey = $('#journey');
  document.body.classList.toggle('board-locked', !!s.locked && !isFac);
  document.body.classList.toggle('board-locked-fac', !!s.locked && isFac);
  if (journey) {
    journey.classList.toggle('has-focus-phase', !!s.focus_phase_id);
    journey.classList.toggle('has-focus-lane', !!s.focus_lane_id);
  }
  let note = $('#locked-note');
  if (s.locked) {
    if (!note) {
      note = el('p', {id: 'locked-note', class: 'locked-note', role: 'status'});
      $('#facilitation').append(note);
    }
    note.textContent = isFac ? t('The board is locked: participants can only look (and vote).') : t('The facilitator has locked the board: you can look, not change.');
  } else if (note) note.remove();
  if (pendingFocusScroll && !isFac) {
    pendingFocusScroll = false;
    const target = s.focus_phase_id ? document.querySelector(`th.phase-head[data-phase-id="${s.focus_phase_id}"]`)
      : (s.focus_lane_id ? document.querySelector(`tr.lane[data-lane-id="${s.focus_lane_id}"]`) : null);
    if (target) {
      target.scrollIntoView({block: 'nearest', inline: 'center', behavior: 'smooth'});
      const name = target.querySelector('.phase-name, .lane-name');
      if (name) board.announce(t('The facilitator brings everyone to %(name)s.', {name: name.textContent}));
    }
  }
  pendingFocusScroll = false;
}

board.on('card-rendered', voteControl);
board.on('card-menu', ({card, items}) => {
  if (!isFac) return;
  const owned = card.library_entry_id && false;
  if (!owned) {
    items.push([t('Add to my library'), () => {
      board.send({type: 'library.promote', id: card.id}).then(() => board.toast(t('“%(title)s” is now in your library.', {title: card.title}))).catch(() => {});
    }]);
  }
});
board.on('render', () => { applyBoardClasses(); renderVoteStatus(); syncControls(); renderParticipants(); updateTimer(); });

// The participants list is a small overlay: Escape or a click elsewhere closes it.
const participantsPanel = $('#participants-panel');
if (participantsPanel) {
  document.addEventListener('keydown', ev => {
    if (ev.key !== 'Escape' || !participantsPanel.open || document.querySelector('dialog[open]')) return;
    const inside = participantsPanel.contains(document.activeElement);
    participantsPanel.open = false;
    if (inside) { ev.preventDefault(); $('summary', participantsPanel).focus(); }
  });
  document.addEventListener('click', ev => {
    if (participantsPanel.open && !participantsPanel.contains(ev.target)) participantsPanel.open = false;
  });
}


// ---------------------------------------------------------------------------
// start

noteServerNow((S().timer || {}).now);
wireControls();
syncControls();
applyBoardClasses();
renderVoteStatus();
renderParticipants();
updateTimer();
board.render(); // draw vote controls on cards that were drawn before this module loaded
setInterval(updateTimer, 250);
