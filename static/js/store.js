// The board's state in the browser: one store, no DOM (tested with `node --test tests/js/`).
//
// Two layers, the way tldraw's sync client rebases speculative changes and Figma ignores server
// values for properties with unacknowledged local changes:
//
//   confirmed   what the server has said: the snapshot plus every event since, in seq order,
//               changed ONLY by `reducers` (one per event type; each exists once, here).
//   pending     this page's operations the server has not answered yet, in the order made.
//   view        replay(pending, copy(confirmed)): what the page shows. Each pending operation is
//               re-applied by its `guesses` entry on a fresh copy after every change, so
//               - a remote event never clobbers a pending guess (the guess is replayed on top);
//               - a refusal just drops the operation: the next view is right by construction
//                 (no "before" values to restore, nothing to undo);
//               - the event of one of our own operations moves it from pending into confirmed.
//
// API (createStore returns an object with):
//   seq                       the confirmed seq (the last event applied)
//   confirmed                 the confirmed state (read only for callers)
//   view                      confirmed + pending guesses (cached until the next change; read only:
//                             with nothing pending it IS the confirmed state, no copy is made)
//   pending                   the pending operations, oldest first (copies)
//   applyEvent(evt) → bool    a server event frame {seq, event, data, op_id, actor}; false when
//                             already applied (seq ≤ store.seq); drops its op from pending
//   loadSnapshot(snapshot)    THE entry point for a whole board (page data, `snapshot` frame,
//                             a decoded compact snapshot); pending operations stay on top
//   setPresence(people)       THE entry point for presence: [{kind, id, name, editing}]
//   setConnection(name)       'http' | 'connecting' | 'online' | 'offline' | 'reconnecting'
//   presence                  the people shown as here now: [] unless the connection is live
//   people                    the last presence list as given (for a decoder of presence deltas)
//   propose(op)               a local operation (with op_id) waits for the server; shown at once
//   restore(ops)              propose operations kept from before a reload (known ones skipped)
//   ack(opId)                 the server accepted the operation (its event was applied or it
//                             was a duplicate): it leaves pending
//   refuse(opId)              the server refused it: it leaves pending, its guess is gone
//   isPending(opId)
//   cardRef(card)             how an operation names a card: {id} or, for a card whose
//                             card.add is not confirmed yet, {card_op}
//   cardId(id)                the real id of `tmp-<op_id>` once the server created it, else id
//   subscribe(fn) → unsubscribe
//                             fn(change) after every change; change.kind is 'event' (with
//                             `event`, `mine`, `before`: the confirmed state's settings before),
//                             'snapshot', 'pending', 'presence' or 'connection'
//
// Pure helpers for views: phasesOf(state), lanesOf(state), cellCards(state, phaseId, laneId),
// newPosition(cards, index), ranking(state).

export const byPos = (a, b) => (a.position - b.position) || (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0);
export const phasesOf = s => [...(s.phases || [])].sort(byPos);
export const lanesOf = s => [...(s.lanes || [])].sort(byPos);
export const cellCards = (s, phaseId, laneId) => (s.cards || []).filter(c => c.phase_id === phaseId && c.lane_id === laneId).sort(byPos);

const same = (a, b) => String(a) === String(b);

// The current vote's result as the report ranks it (export/summary.py `ranked`): the cards with
// votes, most first, ties in board order, with competition ranks (5, 3, 3, 1 → 1, 2, 2, 4).
// [] while the counts are hidden. The projector and the facilitation bar both use it.
export function ranking(s) {
  const counts = (s.vote && s.vote.counts) || {};
  const voted = (s.cards || []).map(card => ({card, votes: Number(counts[String(card.id)]) || 0}))
    .filter(r => r.votes > 0)
    .sort((a, b) => (b.votes - a.votes) || byPos(a.card, b.card));
  let rank = 0;
  return voted.map((r, i) => ({...r, rank: i > 0 && voted[i - 1].votes === r.votes ? rank : (rank = i + 1)}));
}
const find = (list, id) => (list || []).find(x => same(x.id, id));

// The position a guess gives an item placed at `index` among `items` (sorted). The server
// computes its own; the guess only has to put the item in the right place until then.
export function newPosition(items, index) {
  if (items.length === 0) return 1;
  if (index >= items.length) return items[items.length - 1].position + 1;
  if (index <= 0) return items[0].position - 1;
  return (items[index - 1].position + items[index].position) / 2;
}

function applyRenumbered(list, renumbered) {
  for (const [id, pos] of Object.entries(renumbered || {})) {
    const item = find(list, id);
    if (item) item.position = pos;
  }
}

function normalise(snapshot) {
  const s = snapshot || {};
  s.seq = typeof s.seq === 'number' ? s.seq : 0;
  s.session ||= {};
  s.session.settings ||= {};
  for (const k of ['phases', 'lanes', 'cards', 'plate', 'participants', 'agenda']) s[k] ||= [];
  if (s.timer === undefined) s.timer = null;
  if (s.vote === undefined) s.vote = null;
  if (s.vote) s.vote.mine ||= {};
  return s;
}

// ---------------------------------------------------------------------------
// reducers: how each server event changes the confirmed state.
// (state, data, ctx) with ctx = {op (this page's operation when the event is its own, else null),
// me, isFacilitator, store}. They mutate `state`, which the store owns.

function applySettings(s, settings, ctx) {
  if (!settings) return;
  const before = s.session.settings || {};
  s.session.settings = {...before, ...settings};
  if (!ctx.isFacilitator && settings.anonymous && !before.anonymous) {
    // no names, and no author of anyone else's card; this page may still know its own cards
    // (the server marks them so too: board/redact.py), or "edit own cards only" locks them
    for (const c of s.cards) {
      c.author = null;
      if (!isOwnCard(c, ctx.me)) c.author_participant_id = null;
    }
    for (const p of s.participants) p.name = null;
  }
}

const isOwnCard = (card, me) => !!me && me.kind === 'participant' && card.author_participant_id !== null
  && card.author_participant_id !== undefined && same(card.author_participant_id, me.id);

function applyAgenda(s, d, ctx) {
  if (d.agenda) s.agenda = d.agenda;
  if (d.timer) s.timer = d.timer;
  if (d.settings) applySettings(s, d.settings, ctx);
}

function adjustMine(vote, cardId, delta) {
  const key = String(cardId);
  vote.mine = {...(vote.mine || {})};
  vote.mine[key] = Math.max(0, (vote.mine[key] || 0) + delta);
  if (!vote.mine[key]) delete vote.mine[key];
}

// who voted for what is never broadcast: this page learns its own votes from its own events
function applyVote(s, d, ctx, delta) {
  const v = s.vote;
  if (!v || !same(v.id, d.vote_id)) return;
  Object.assign(v, {total: d.total, voters: d.voters});
  if (ctx.op && ctx.op.card_id !== undefined) adjustMine(v, ctx.op.card_id, delta);
}

// phases (columns) and lanes (rows) change the same way; deleting one deletes its cards
function axisReducers(kind, list, cardKey) {
  return {
    [`${kind}.add`]: (s, d) => {
      applyRenumbered(s[list], d.renumbered);
      s[list] = s[list].filter(x => !same(x.id, d[kind].id));
      s[list].push(d[kind]);
    },
    [`${kind}.update`]: (s, d) => { const x = find(s[list], d.id); if (x) Object.assign(x, d.changes); },
    [`${kind}.move`]: (s, d) => { applyRenumbered(s[list], d.renumbered); const x = find(s[list], d.id); if (x) x.position = d.position; },
    [`${kind}.delete`]: (s, d) => {
      s[list] = s[list].filter(x => !same(x.id, d.id));
      s.cards = s.cards.filter(c => !same(c[cardKey], d.id));
    },
  };
}

export const reducers = {
  'card.add': (s, d, ctx) => {
    s.cards = s.cards.filter(c => !same(c.id, d.card.id));
    applyRenumbered(s.cards, d.renumbered);
    const card = {...d.card};
    // names hidden: the broadcast names no author, but this page made the card (its op_id)
    const me = ctx.me || {};
    if (ctx.op && me.kind === 'participant' && card.author_participant_id == null) card.author_participant_id = me.id;
    s.cards.push(card);
  },
  'card.update': (s, d) => { const c = find(s.cards, d.id); if (c) Object.assign(c, d.changes, d.updated_at ? {updated_at: d.updated_at} : {}); },
  'card.move': (s, d) => {
    applyRenumbered(s.cards, d.renumbered);
    const c = find(s.cards, d.id);
    if (c) Object.assign(c, {phase_id: d.phase_id, lane_id: d.lane_id, position: d.position});
  },
  'card.delete': (s, d) => { s.cards = s.cards.filter(c => !same(c.id, d.id)); },
  ...axisReducers('phase', 'phases', 'phase_id'),
  ...axisReducers('lane', 'lanes', 'lane_id'),

  'session.settings': (s, d, ctx) => {
    applySettings(s, d.settings, ctx);
    if (d.authors) {
      for (const c of s.cards) {
        const a = d.authors[String(c.id)];
        if (a) { c.author = a[0]; c.author_participant_id = a[1]; }
      }
    }
    if (d.participants) s.participants = d.participants;
  },
  'agenda.set': applyAgenda,
  'timer.start': applyAgenda,
  'timer.pause': applyAgenda,
  'timer.resume': applyAgenda,
  'timer.extend': applyAgenda,
  'timer.end': applyAgenda,
  'timer.next': applyAgenda,

  'vote.open': (s, d) => { s.vote = {...d.vote, mine: {}}; },
  'vote.cast': (s, d, ctx) => applyVote(s, d, ctx, +1),
  'vote.retract': (s, d, ctx) => applyVote(s, d, ctx, -1),
  'vote.reveal': (s, d) => { s.vote = {...d.vote, mine: (s.vote || {}).mine || {}}; },
  'vote.close': (s, d) => {
    s.vote = {...d.vote, mine: (s.vote || {}).mine || {}, ranking: d.ranking};
    for (const c of s.cards) {
      const key = String(c.id);
      if (d.votes && d.votes[key] !== undefined) c.votes = d.votes[key];
      if (d.positions && d.positions[key] !== undefined) c.position = d.positions[key];
    }
  },

  'participant.rename': (s, d, ctx) => {
    // anonymous mode broadcasts no name; the facilitator who renamed knows it from the operation
    const name = d.name !== null && d.name !== undefined ? d.name : (ctx.op && ctx.op.name) || null;
    if (name === null) return;
    const p = find(s.participants, d.id);
    if (p) p.name = name;
    else s.participants.push({id: d.id, name}); // joined after this page loaded
    const ids = new Set((d.card_ids || []).map(String));
    for (const c of s.cards) if (ids.has(String(c.id)) && c.author !== null) c.author = name;
  },
  'participant.remove': (s, d, ctx) => {
    ctx.store.noteRemoved(d.id);
    s.participants = s.participants.filter(p => !same(p.id, d.id));
    if (s.vote && d.vote && same(s.vote.id, d.vote.vote_id)) Object.assign(s.vote, {total: d.vote.total, voters: d.vote.voters});
  },

  'plate.add': (s, d) => {
    s.plate = s.plate.filter(i => !same(i.id, d.item.id));
    applyRenumbered(s.plate, d.renumbered);
    s.plate.push(d.item);
  },
  'plate.update': (s, d) => { const i = find(s.plate, d.id); if (i) Object.assign(i, d.changes); },
  'plate.move': (s, d) => {
    applyRenumbered(s.plate, d.renumbered);
    const i = find(s.plate, d.id);
    if (i) Object.assign(i, {section: d.section, heading: d.heading, position: d.position});
  },
  'plate.delete': (s, d) => { s.plate = s.plate.filter(i => !same(i.id, d.id)); },
  'session.update_plate_meta': (s, d) => { Object.assign(s.session, d.changes); },
  'library.promote': (s, d) => { const c = find(s.cards, d.card_id); if (c) c.library_entry_id = d.library_entry_id; },
};

// ---------------------------------------------------------------------------
// guesses: how a pending operation shows before the server answers, applied to a copy of the
// confirmed state on every change. (view, op, ctx) with ctx = {me, isFacilitator, store}.
// An operation without a guess (timer, agenda …) simply waits for its event.

const cardOf = (v, op, ctx) => find(v.cards, op.id !== undefined ? op.id : ctx.store.cardId(`tmp-${op.card_op}`));

export const guesses = {
  'card.add': (v, op, ctx) => {
    const cards = cellCards(v, op.phase_id, op.lane_id);
    const index = op.index ?? cards.length;
    const me = ctx.me || {};
    v.cards.push({id: `tmp-${op.op_id}`, phase_id: op.phase_id, lane_id: op.lane_id,
      position: newPosition(cards, index), title: op.title || '…', statement: op.statement || '',
      channels: op.channels || [], library_entry_id: op.library_entry_id ?? null,
      author: v.session.settings.anonymous && !ctx.isFacilitator ? null : (me.name || null),
      author_participant_id: me.kind === 'participant' ? me.id : null, votes: 0, pending: true});
  },
  'card.update': (v, op, ctx) => {
    const card = cardOf(v, op, ctx);
    if (!card) return;
    for (const k of ['title', 'statement', 'channels']) if (k in op) card[k] = op[k];
  },
  'card.move': (v, op, ctx) => {
    const card = cardOf(v, op, ctx);
    if (!card) return;
    const phaseId = op.phase_id ?? card.phase_id, laneId = op.lane_id ?? card.lane_id;
    const others = cellCards(v, phaseId, laneId).filter(c => c !== card);
    const index = Math.max(0, Math.min(op.index ?? others.length, others.length));
    Object.assign(card, {phase_id: phaseId, lane_id: laneId, position: newPosition(others, index)});
  },
  'card.delete': (v, op, ctx) => {
    const card = cardOf(v, op, ctx);
    if (card) v.cards = v.cards.filter(c => c !== card);
  },
  'phase.update': (v, op) => {
    const p = find(v.phases, op.id);
    if (p) for (const k of ['desired_name', 'current_name', 'statement']) if (k in op) p[k] = op[k];
  },
  'lane.update': (v, op) => { const l = find(v.lanes, op.id); if (l && 'name' in op) l.name = op.name; },
  'session.settings': (v, op) => {
    const s = v.session.settings;
    for (const k of ['locked', 'anonymous', 'edit_policy', 'focus_phase_id', 'focus_lane_id']) if (k in op) s[k] = op[k];
  },
  'vote.cast': (v, op) => { if (v.vote && v.vote.status === 'open') adjustMine(v.vote, op.card_id, +1); },
  'vote.retract': (v, op) => { if (v.vote && v.vote.status === 'open') adjustMine(v.vote, op.card_id, -1); },
  'participant.rename': (v, op) => { const p = find(v.participants, op.id); if (p) p.name = op.name; },
  'participant.remove': (v, op) => { v.participants = v.participants.filter(p => !same(p.id, op.id)); },
  'plate.update': (v, op) => { const i = find(v.plate, op.id); if (i && 'text' in op) i.text = op.text; },
  'plate.delete': (v, op) => { v.plate = v.plate.filter(i => !same(i.id, op.id)); },
  'session.update_plate_meta': (v, op) => {
    if ('tagline' in op) v.session.tagline = op.tagline;
    if ('personas' in op) v.session.personas = op.personas;
  },
};

const copy = typeof structuredClone === 'function' ? structuredClone : x => JSON.parse(JSON.stringify(x));

// ---------------------------------------------------------------------------

export function createStore({snapshot = {}, me = null, isFacilitator = false} = {}) {
  let confirmed = normalise(copy(snapshot));
  let pending = []; // [{op}] oldest first
  let view = null; // cache; null = to be replayed
  let people = [];
  let connection = 'http';
  const createdBy = new Map(); // op_id of a card.add -> the id the server gave the card
  const removed = new Set(); // participants removed: presence may still list them for a moment
  const subscribers = new Set();

  const store = {
    get seq() { return confirmed.seq; },
    get confirmed() { return confirmed; },
    get view() {
      if (view === null) view = replay();
      return view;
    },
    get pending() { return pending.map(p => ({...p.op})); },
    get connection() { return connection; },
    get people() { return people; },
    get presence() {
      if (connection !== 'online') return []; // offline: nobody is known to be here
      return people.filter(p => !(p.kind === 'participant' && removed.has(String(p.id))));
    },

    applyEvent(evt) {
      if (!evt || typeof evt.seq !== 'number' || evt.seq <= confirmed.seq) return false;
      const idx = evt.op_id ? pending.findIndex(p => p.op.op_id === evt.op_id) : -1;
      const op = idx >= 0 ? pending[idx].op : null;
      if (idx >= 0) pending.splice(idx, 1); // its truth is in confirmed now: the guess goes
      if (evt.event === 'card.add' && evt.op_id && evt.data && evt.data.card) createdBy.set(evt.op_id, evt.data.card.id);
      const before = {...confirmed.session.settings};
      const reduce = reducers[evt.event];
      if (reduce) reduce(confirmed, evt.data || {}, {op, me, isFacilitator, store});
      confirmed.seq = evt.seq;
      changed({kind: 'event', event: evt, mine: !!op, before});
      return true;
    },

    loadSnapshot(snap) {
      confirmed = normalise(copy(snap));
      changed({kind: 'snapshot'});
    },

    setPresence(list) {
      people = Array.isArray(list) ? list : [];
      changed({kind: 'presence'}, false);
    },

    setConnection(name) {
      if (name === connection) return;
      connection = name;
      changed({kind: 'connection'}, false);
    },

    propose(op) {
      if (!op || !op.op_id) throw new Error('an operation needs an op_id');
      if (pending.some(p => p.op.op_id === op.op_id)) return;
      pending.push({op: {...op}});
      changed({kind: 'pending', op});
    },

    restore(ops) {
      let n = 0;
      for (const op of ops || []) {
        if (!op || !op.op_id || pending.some(p => p.op.op_id === op.op_id)) continue;
        pending.push({op: {...op}});
        n += 1;
      }
      if (n) changed({kind: 'pending'});
    },

    ack(opId) { return drop(opId); },
    refuse(opId) { return drop(opId); },
    isPending(opId) { return pending.some(p => p.op.op_id === opId); },

    cardRef(card) {
      const id = String(card.id);
      if (!id.startsWith('tmp-')) return {id: card.id};
      const real = createdBy.get(id.slice(4));
      return real !== undefined ? {id: real} : {card_op: id.slice(4)};
    },
    cardId(id) {
      const s = String(id);
      if (!s.startsWith('tmp-')) return id;
      const real = createdBy.get(s.slice(4));
      return real !== undefined ? real : id;
    },

    noteRemoved(id) { removed.add(String(id)); },

    subscribe(fn) { subscribers.add(fn); return () => subscribers.delete(fn); },
  };

  function drop(opId) {
    const idx = pending.findIndex(p => p.op.op_id === opId);
    if (idx < 0) return null;
    const [p] = pending.splice(idx, 1);
    changed({kind: 'pending', op: p.op});
    return p.op;
  }

  function replay() {
    if (pending.length === 0) return confirmed; // the common case (remote events): no copy
    const v = copy(confirmed);
    const ctx = {me, isFacilitator, store};
    for (const {op} of pending) {
      const guess = guesses[op.type];
      if (guess) guess(v, op, ctx);
    }
    return v;
  }

  function changed(change, stateChanged = true) {
    if (stateChanged) view = null;
    for (const fn of [...subscribers]) fn(change);
  }

  return store;
}
