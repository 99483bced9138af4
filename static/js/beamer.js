// The projector view: a read-only client of the page's store (client.js, store.js), kept
// live by live.js like the board. It draws the whole journey fitted to the screen, the round
// and its countdown, the focused phase or lane, and the ranking once the votes are revealed.
// It never sends an operation. User text only ever goes in through textContent.
import {$, el} from './dom.js';
import {createClient} from './client.js';
import {cellCards, lanesOf, phasesOf, ranking} from './store.js';

const client = createClient();
const {store, t, tn} = client;

// ---------------------------------------------------------------------------
// the server's clock (as on the board): the largest recent offset sample is the best estimate

let clockOffset = null;
function noteServerNow(iso) {
  const sample = iso ? Date.parse(iso) - Date.now() : NaN;
  if (!Number.isNaN(sample)) clockOffset = clockOffset === null ? sample : Math.max(clockOffset, sample);
}
const serverNow = () => Date.now() + (clockOffset || 0);

function fmt(seconds) {
  const s = Math.max(0, seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

function drawTimer() {
  const tm = store.view.timer || {status: 'idle'};
  let status = tm.status || 'idle';
  let left = null;
  if (status === 'running' && tm.ends_at) left = Math.ceil((Date.parse(tm.ends_at) - serverNow()) / 1000);
  else if (status === 'paused') left = tm.remaining_seconds;
  if (status === 'running' && left !== null && left <= 0) status = 'up';
  $('#bm-timer').dataset.status = status;
  let label;
  let text = '–:––';
  if (status === 'running' || status === 'paused' || status === 'up') {
    label = tm.name || '';
    text = status === 'up' ? `0:00` : fmt(left || 0);
  } else if (status === 'pending' && tm.name) {
    // not started yet: say what comes, do not show a clock that looks like it runs
    label = t('Next round: %(name)s', {name: tm.name});
  } else {
    label = status === 'finished' ? t('All rounds are done') : t('No round running');
  }
  const sub = status === 'up' ? t('Time is up') : status === 'paused' ? t('Paused') : (tm.instructions || '');
  setText($('#bm-countdown'), text);
  setText($('#bm-round'), label);
  setText($('#bm-instructions'), status === 'pending' ? '' : sub);
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// ---------------------------------------------------------------------------
// the journey, read-only: phase and lane names, the labels of the two journey lanes, card titles

const votesLabel = n => tn('%(n)s vote', '%(n)s votes', n);

function revealedCounts(view) {
  const v = view.vote;
  return v && (v.status === 'revealed' || v.status === 'closed') ? (v.counts || {}) : null;
}

function drawGrid() {
  const view = store.view;
  const focus = view.session.settings || {};
  const counts = revealedCounts(view);
  const ps = phasesOf(view), ls = lanesOf(view);
  const head = el('tr', {}, el('td', {class: 'corner'}));
  ps.forEach((p, i) => head.append(el('th', {scope: 'col', class: `phase-head${focus.focus_phase_id === p.id ? ' focused' : ''}`,
    'data-phase-id': p.id}, el('span', {class: 'phase-no', text: String(i + 1)}), ' ',
  el('span', {class: 'phase-name', text: p.desired_name || p.current_name || t('Phase %(n)s', {n: i + 1})}))));
  const body = el('tbody');
  for (const lane of ls) {
    const tr = el('tr', {class: `lane lane-${lane.kind}${focus.focus_lane_id === lane.id ? ' focused' : ''}`, 'data-lane-id': lane.id},
      el('th', {scope: 'row', class: 'lane-head'}, el('span', {class: 'lane-name', text: lane.name})));
    for (const p of ps) {
      const td = el('td', {class: `cell${focus.focus_phase_id === p.id ? ' focused' : ''}`, 'data-phase-id': p.id, 'data-lane-id': lane.id});
      if (lane.kind === 'current') td.append(el('p', {class: 'cell-label', text: p.current_name || ''}));
      if (lane.kind === 'desired') {
        td.append(el('p', {class: 'cell-label', text: p.desired_name || ''}));
        if (p.statement) td.append(el('p', {class: 'cell-statement', text: p.statement}));
      }
      const ul = el('ul', {class: 'cards'});
      for (const c of cellCards(view, p.id, lane.id)) {
        if (String(c.id).startsWith('tmp-')) continue; // the projector shows what is saved
        const li = el('li', {class: 'card', 'data-card-id': c.id}, el('span', {class: 'card-title', text: c.title}));
        const n = counts ? counts[String(c.id)] || 0 : 0;
        if (n) li.append(el('span', {class: 'card-votes', 'aria-label': votesLabel(n), text: String(n)}));
        ul.append(li);
      }
      if (ul.childElementCount) td.append(ul);
      tr.append(td);
    }
    body.append(tr);
  }
  const table = $('#bm-journey');
  table.classList.toggle('has-focus-phase', !!focus.focus_phase_id);
  table.classList.toggle('has-focus-lane', !!focus.focus_lane_id);
  table.replaceChildren(el('caption', {class: 'visually-hidden', text: t('Customer journey: phases as columns, lanes as rows')}),
    el('thead', {}, head), body);
}

function drawVote() {
  const view = store.view;
  const v = view.vote;
  const box = $('#bm-vote');
  const laneName = v ? (view.lanes.find(l => l.id === v.lane_id) || {}).name || '' : '';
  if (!v || !['open', 'revealed', 'closed'].includes(v.status)) { box.hidden = true; return; }
  box.hidden = false;
  box.dataset.status = v.status;
  const list = $('#bm-ranking');
  if (v.status === 'open') {
    // the counts stay hidden until the reveal, on the projector too
    setText($('#bm-vote-title'), t('Voting on “%(lane)s”', {lane: laneName}));
    list.replaceChildren(el('li', {class: 'beamer-vote-progress',
      text: t('Votes placed: %(total)s · voters: %(voters)s', {total: v.total || 0, voters: v.voters || 0})}));
    return;
  }
  setText($('#bm-vote-title'), v.status === 'closed' ? t('Vote result: “%(lane)s”', {lane: laneName}) : t('Votes revealed: “%(lane)s”', {lane: laneName}));
  const ranked = ranking(view).slice(0, 5);
  if (!ranked.length) { list.replaceChildren(el('li', {text: t('No votes were placed.')})); return; }
  list.replaceChildren(...ranked.map(({card, votes, rank}) => el('li', {value: rank},
    el('span', {class: 'rank-no', 'aria-hidden': 'true', text: String(rank)}), ' ',
    el('span', {class: 'rank-title', text: card.title}), ' ',
    el('span', {class: 'rank-votes', text: votesLabel(votes)}))));
}

// ---------------------------------------------------------------------------
// fitting: the table takes the full width; when it is taller than the screen it is zoomed
// out until it fits (no scrolling on a projector)

function fit() {
  const box = $('#bm-grid');
  const table = $('#bm-journey');
  const fits = z => {
    table.style.zoom = String(z);
    const r = table.getBoundingClientRect();
    return r.height <= box.clientHeight && r.width <= box.clientWidth + 1;
  };
  if (fits(1)) return;
  // the text rewraps at every zoom, so search: the largest zoom at which the journey fits
  let lo = 0.2, hi = 1;
  for (let i = 0; i < 7; i += 1) {
    const mid = (lo + hi) / 2;
    if (fits(mid)) lo = mid; else hi = mid;
  }
  table.style.zoom = String(Math.floor(lo * 1000) / 1000);
}

// ---------------------------------------------------------------------------

let queued = false;
function draw() {
  queued = false;
  drawGrid();
  drawVote();
  drawTimer();
  fit();
}
function schedule() {
  if (!queued) { queued = true; requestAnimationFrame(draw); }
}

store.subscribe(change => {
  if (change.kind === 'event' || change.kind === 'snapshot') {
    const tm = store.confirmed.timer;
    if (tm && tm.now) noteServerNow(tm.now);
    schedule();
  }
});

noteServerNow((store.confirmed.timer || {}).now);
draw();
window.addEventListener('resize', schedule);
// the header changes height with the round's text, and web fonts arrive late: fit again then
new ResizeObserver(() => schedule()).observe($('#bm-grid'));
if (document.fonts) document.fonts.ready.then(schedule);
setInterval(drawTimer, 250);
client.goLive();
