// The board store (static/js/store.js): reducers and the rebase of pending operations.
// Run: node --test tests/js/   (no npm packages, no build step)
import {test} from 'node:test';
import assert from 'node:assert/strict';

import {cellCards, createStore, lanesOf, phasesOf, reducers} from '../../static/js/store.js';

const me = {kind: 'participant', id: 12, name: 'Piet'};

function board(extra = {}) {
  return {
    seq: 10,
    session: {settings: {locked: false, anonymous: false, edit_policy: 'all', focus_phase_id: null, focus_lane_id: null}},
    phases: [{id: 1, position: 1, current_name: 'Aanvraag', desired_name: 'Aanvragen', statement: ''},
      {id: 2, position: 2, current_name: null, desired_name: 'Besluit', statement: ''}],
    lanes: [{id: 7, position: 1, kind: 'innovations', name: 'Dienstinnovaties'}],
    cards: [
      {id: 1, phase_id: 1, lane_id: 7, position: 1, title: 'Track & Trace', statement: '', channels: [], author: 'Anna', author_participant_id: 3, votes: 0},
      {id: 2, phase_id: 1, lane_id: 7, position: 2, title: 'Webshop', statement: '', channels: [], author: 'Piet', author_participant_id: 12, votes: 0},
    ],
    plate: [], participants: [{id: 3, name: 'Anna'}, {id: 12, name: 'Piet'}], agenda: [], timer: null, vote: null,
    ...extra,
  };
}

let seq = 10;
const event = (type, data, extra = {}) => ({type: 'event', seq: ++seq, event: type, data, op_id: null, actor: 'f:1', ...extra});
const titles = s => s.cards.map(c => c.title).sort();
const cardIn = (s, id) => s.cards.find(c => String(c.id) === String(id));

test('a delete refused because someone else deleted the card first: the card stays gone', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  store.propose({type: 'card.delete', op_id: 'p12-a-1', id: 1});
  assert.equal(cardIn(store.view, 1), undefined, 'my delete shows at once');
  store.applyEvent(event('card.delete', {id: 1}, {actor: 'p:3', op_id: 'p3-b-1'}));
  store.refuse('p12-a-1'); // unknown_card
  assert.equal(cardIn(store.view, 1), undefined, 'the card does not come back');
  assert.deepEqual(titles(store.view), ['Webshop']);
  assert.deepEqual(store.view, store.confirmed);
});

test('an edit refused after the facilitator renamed the card shows the facilitator\'s title', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  store.propose({type: 'card.update', op_id: 'p12-a-1', id: 1, title: 'Track & Trace 2'});
  assert.equal(cardIn(store.view, 1).title, 'Track & Trace 2');
  store.applyEvent(event('card.update', {id: 1, changes: {title: 'Volg je aanvraag'}, updated_at: 'x'}));
  store.refuse('p12-a-1');
  assert.equal(cardIn(store.view, 1).title, 'Volg je aanvraag', 'neither my guess nor the old title');
});

test('a remote event during a pending edit does not clobber the guess, and keeps its other fields', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  store.propose({type: 'card.update', op_id: 'p12-a-1', id: 1, title: 'Mijn titel'});
  store.applyEvent(event('card.update', {id: 1, changes: {title: 'Hun titel', statement: 'Ik zie de voortgang.'}}));
  const c = cardIn(store.view, 1);
  assert.equal(c.title, 'Mijn titel', 'my pending title is still shown');
  assert.equal(c.statement, 'Ik zie de voortgang.', 'their statement arrives');
  assert.equal(cardIn(store.confirmed, 1).title, 'Hun titel', 'the confirmed state is the server\'s');
  // my event arrives (applied after theirs): last writer wins, the guess leaves pending
  store.applyEvent(event('card.update', {id: 1, changes: {title: 'Mijn titel'}}, {op_id: 'p12-a-1', actor: 'p:12'}));
  assert.equal(store.pending.length, 0);
  assert.equal(cardIn(store.view, 1).title, 'Mijn titel');
});

test('a remote move during a pending move: my place is shown until my own event', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  store.propose({type: 'card.move', op_id: 'p12-a-1', id: 2, phase_id: 2, lane_id: 7, index: 0});
  store.applyEvent(event('card.move', {id: 2, phase_id: 1, lane_id: 7, position: 0.5, renumbered: {}}));
  assert.equal(cardIn(store.view, 2).phase_id, 2);
  store.refuse('p12-a-1');
  assert.equal(cardIn(store.view, 2).phase_id, 1);
  assert.deepEqual(cellCards(store.view, 1, 7).map(c => c.id), [2, 1], 'their move put it on top');
});

test('an added card shows at once, and its own event replaces the guess without a duplicate', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  store.propose({type: 'card.add', op_id: 'p12-a-1', phase_id: 2, lane_id: 7, title: 'Reviews'});
  const guess = store.view.cards.find(c => c.title === 'Reviews');
  assert.equal(guess.id, 'tmp-p12-a-1');
  assert.equal(guess.author, 'Piet');
  // fixing a typo before the server answered names the card by its card.add
  assert.deepEqual(store.cardRef(guess), {card_op: 'p12-a-1'});
  store.propose({type: 'card.update', op_id: 'p12-a-2', card_op: 'p12-a-1', title: 'Reviews!'});
  assert.equal(store.view.cards.find(c => c.id === 'tmp-p12-a-1').title, 'Reviews!');
  store.applyEvent(event('card.add', {card: {id: 9, phase_id: 2, lane_id: 7, position: 1, title: 'Reviews', statement: '', channels: [], votes: 0}, renumbered: {}},
    {op_id: 'p12-a-1', actor: 'p:12'}));
  store.ack('p12-a-1');
  assert.deepEqual(store.view.cards.filter(c => c.title.startsWith('Reviews')).map(c => [c.id, c.title]), [[9, 'Reviews!']],
    'one card, with the real id, and the pending typo fix replayed on it');
  assert.deepEqual(store.cardRef({id: 'tmp-p12-a-1'}), {id: 9});
  assert.equal(store.cardId('tmp-p12-a-1'), 9);
});

test('a refused add leaves no card behind', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  store.propose({type: 'card.add', op_id: 'p12-a-1', phase_id: 2, lane_id: 7, title: 'X'});
  assert.equal(store.view.cards.length, 3);
  store.refuse('p12-a-1');
  assert.equal(store.view.cards.length, 2);
});

test('events already applied are ignored; an ack without an event (duplicate) drops the guess', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  assert.equal(store.applyEvent({seq: 10, event: 'card.delete', data: {id: 1}}), false);
  assert.equal(store.view.cards.length, 2);
  store.restore([{type: 'card.delete', op_id: 'p12-a-1', id: 2}, {type: 'card.delete', op_id: 'p12-a-1', id: 2}]);
  assert.equal(store.pending.length, 1, 'a restored operation is queued once');
  assert.equal(store.view.cards.length, 1);
  store.ack('p12-a-1');
  assert.equal(store.view.cards.length, 2, 'the server said it was a duplicate and sent no event: confirmed is the truth');
});

test('a snapshot replaces the confirmed state and pending guesses stay on top', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  store.propose({type: 'card.update', op_id: 'p12-a-1', id: 1, title: 'Mijn titel'});
  const snap = board({seq: 40});
  snap.cards[0].statement = 'Nieuw';
  store.loadSnapshot(snap);
  assert.equal(store.seq, 40);
  assert.equal(cardIn(store.view, 1).title, 'Mijn titel');
  assert.equal(cardIn(store.view, 1).statement, 'Nieuw');
  snap.cards[0].title = 'mutated by the caller';
  assert.equal(cardIn(store.confirmed, 1).title, 'Track & Trace', 'the store keeps its own copy');
});

test('renumbered positions are applied once, by the one reducer, for cards and plate lines', () => {
  seq = 10;
  const snap = board({plate: [{id: 1, section: 'guarantee', heading: 'Toegang', text: 'a', position: 1},
    {id: 2, section: 'guarantee', heading: 'Toegang', text: 'b', position: 1.0000001}]});
  const store = createStore({snapshot: snap, me});
  store.applyEvent(event('plate.move', {id: 2, section: 'guarantee', heading: 'Toegang', position: 1, renumbered: {1: 2}}));
  assert.deepEqual(store.view.plate.map(i => [i.id, i.position]), [[1, 2], [2, 1]]);
  store.applyEvent(event('card.add', {card: {id: 5, phase_id: 1, lane_id: 7, position: 1.5, title: 'Z'}, renumbered: {1: 1, 2: 2}}));
  assert.deepEqual(cellCards(store.view, 1, 7).map(c => c.id), [1, 5, 2]);
  assert.equal(typeof reducers['plate.move'], 'function');
});

test('my own votes come from my own vote events, shown at once while pending', () => {
  seq = 10;
  const store = createStore({snapshot: board({vote: {id: 4, lane_id: 7, status: 'open', votes_per_participant: 3, max_per_card: 2, total: 0, voters: 0, counts: null, mine: {}}}), me});
  store.propose({type: 'vote.cast', op_id: 'p12-a-1', card_id: 1});
  assert.deepEqual(store.view.vote.mine, {1: 1});
  store.applyEvent(event('vote.cast', {vote_id: 4, total: 1, voters: 1}, {op_id: 'p12-a-1', actor: 'p:12'}));
  store.applyEvent(event('vote.cast', {vote_id: 4, total: 2, voters: 2}, {op_id: 'p3-x-1', actor: 'p:3'}));
  assert.deepEqual(store.view.vote.mine, {1: 1}, 'someone else\'s vote is not mine');
  assert.equal(store.view.vote.total, 2);
  store.propose({type: 'vote.retract', op_id: 'p12-a-2', card_id: 1});
  assert.deepEqual(store.view.vote.mine, {});
  store.refuse('p12-a-2');
  assert.deepEqual(store.view.vote.mine, {1: 1});
});

test('turning anonymity on hides authors for a participant, off brings them back', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  store.applyEvent(event('session.settings', {settings: {...board().session.settings, anonymous: true}, changed: ['anonymous']}));
  assert.deepEqual(store.view.cards.map(c => c.author), [null, null]);
  assert.deepEqual(store.view.participants.map(p => p.name), [null, null]);
  store.applyEvent(event('session.settings', {settings: {...board().session.settings, anonymous: false}, changed: ['anonymous'],
    authors: {1: ['Anna', 3], 2: ['Piet', 12]}, participants: [{id: 3, name: 'Anna'}, {id: 12, name: 'Piet'}]}));
  assert.deepEqual(store.view.cards.map(c => c.author), ['Anna', 'Piet']);
  const fac = createStore({snapshot: board(), me: {kind: 'facilitator', id: 1, name: 'Fien'}, isFacilitator: true});
  fac.applyEvent(event('session.settings', {settings: {anonymous: true}, changed: ['anonymous']}));
  assert.deepEqual(fac.view.cards.map(c => c.author), ['Anna', 'Piet'], 'the facilitator keeps seeing names');
});

test('a facilitator\'s rename in anonymous mode keeps the name the facilitator typed', () => {
  seq = 10;
  const fac = createStore({snapshot: board(), me: {kind: 'facilitator', id: 1}, isFacilitator: true});
  fac.propose({type: 'participant.rename', op_id: 'f1-a-1', id: 12, name: 'Pieter'});
  assert.equal(fac.view.participants[1].name, 'Pieter');
  fac.applyEvent(event('participant.rename', {id: 12, name: null, card_ids: [2]}, {op_id: 'f1-a-1'}));
  assert.equal(fac.view.participants[1].name, 'Pieter');
  assert.equal(cardIn(fac.view, 2).author, 'Pieter');
});

test('timer, agenda and settings from a timer event; locked settings show at once for the facilitator', () => {
  seq = 10;
  const fac = createStore({snapshot: board(), me: {kind: 'facilitator', id: 1}, isFacilitator: true});
  fac.applyEvent(event('timer.start', {agenda: [{id: 1, name: 'Huidige klantreis', status: 'running'}],
    timer: {status: 'running', name: 'Huidige klantreis'}, settings: {focus_lane_id: 7}}));
  assert.equal(fac.view.timer.status, 'running');
  assert.equal(fac.view.session.settings.focus_lane_id, 7);
  assert.equal(fac.view.session.settings.locked, false, 'settings are merged');
  fac.propose({type: 'session.settings', op_id: 'f1-a-1', locked: true});
  assert.equal(fac.view.session.settings.locked, true);
  assert.equal(fac.confirmed.session.settings.locked, false);
});

test('presence: one entry point; nobody is shown as here while offline; removed people drop out', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  const people = [{kind: 'facilitator', id: 1, name: 'Fien', editing: null}, {kind: 'participant', id: 3, name: 'Anna', editing: 1}];
  store.setPresence(people);
  assert.deepEqual(store.presence, [], 'not connected yet');
  store.setConnection('online');
  assert.equal(store.presence.length, 2);
  store.applyEvent(event('participant.remove', {id: 3}));
  assert.deepEqual(store.presence.map(p => p.name), ['Fien']);
  store.setConnection('offline');
  assert.deepEqual(store.presence, []);
});

test('subscribers hear every change, with the event and whether it was mine', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  const heard = [];
  const off = store.subscribe(c => heard.push([c.kind, c.mine ?? null]));
  store.propose({type: 'card.delete', op_id: 'p12-a-1', id: 1});
  store.applyEvent(event('card.delete', {id: 1}, {op_id: 'p12-a-1'}));
  store.ack('p12-a-1'); // already left pending with its event: nothing changes
  store.setConnection('online');
  off();
  store.setPresence([]);
  assert.deepEqual(heard, [['pending', null], ['event', true], ['connection', null]]);
});

test('the view is cached between changes, rebuilt after one, and is no copy when nothing is pending', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  assert.equal(store.view, store.confirmed, 'nothing pending: no copy');
  store.propose({type: 'lane.update', op_id: 'p12-a-1', id: 7, name: 'Mijn baan'});
  const v1 = store.view;
  assert.notEqual(v1, store.confirmed);
  assert.equal(store.view, v1, 'cached');
  store.applyEvent(event('card.update', {id: 1, changes: {title: 'Nieuw'}}));
  assert.notEqual(store.view, v1);
  assert.equal(store.view.lanes[0].name, 'Mijn baan');
  assert.equal(store.confirmed.lanes[0].name, 'Dienstinnovaties', 'a guess never reaches the confirmed state');
  store.ack('p12-a-1');
  assert.equal(store.view, store.confirmed);
});

test('phases and lanes: add, move with renumbering, delete takes their cards along', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  store.applyEvent(event('phase.add', {phase: {id: 3, position: 1.5, current_name: null, desired_name: 'Betalen', statement: ''}, renumbered: {}}));
  assert.deepEqual(phasesOf(store.view).map(p => p.id), [1, 3, 2]);
  store.applyEvent(event('lane.add', {lane: {id: 8, position: 0, kind: 'custom', name: 'Knelpunten'}, renumbered: {7: 2}}));
  assert.deepEqual(lanesOf(store.view).map(l => [l.id, l.position]), [[8, 0], [7, 2]]);
  store.applyEvent(event('phase.move', {id: 1, position: 3, renumbered: {}}));
  assert.deepEqual(phasesOf(store.view).map(p => p.id), [3, 2, 1]);
  store.applyEvent(event('phase.delete', {id: 1, card_ids: [1, 2]}));
  assert.deepEqual(store.view.cards, []);
  store.applyEvent(event('lane.delete', {id: 8}));
  assert.deepEqual(store.view.lanes.map(l => l.id), [7]);
});

test('names hidden: my own new card stays mine, another participant\'s card names nobody', () => {
  seq = 10;
  const hidden = board();
  hidden.session.settings = {...hidden.session.settings, anonymous: true, edit_policy: 'own'};
  for (const c of hidden.cards) { c.author = null; c.author_participant_id = c.id === 2 ? 12 : null; } // as the server sends it
  hidden.participants = hidden.participants.map(p => ({...p, name: null}));
  const store = createStore({snapshot: hidden, me});
  store.propose({type: 'card.add', op_id: 'p12-a-1', phase_id: 1, lane_id: 7, title: 'Mijn kaart'});
  // the broadcast of a card.add carries no author while names are hidden (board/redact.py)
  const redacted = c => ({type: 'event', seq: ++seq, event: 'card.add', actor: 'p:12', data: {card: {
    id: c.id, phase_id: 1, lane_id: 7, position: 3, title: c.title, statement: '', channels: [], author: null,
    author_participant_id: null, votes: 0}, renumbered: {}}, op_id: c.op_id});
  store.applyEvent(redacted({id: 30, title: 'Mijn kaart', op_id: 'p12-a-1'}));
  store.applyEvent(redacted({id: 31, title: 'Kaart van een ander', op_id: 'p3-b-1'}));
  assert.equal(store.pending.length, 0);
  assert.equal(cardIn(store.view, 30).author_participant_id, 12, 'confirmed, my card is still mine');
  assert.equal(cardIn(store.view, 31).author_participant_id, null, 'someone else\'s card names no author');
  assert.equal(cardIn(store.view, 2).author_participant_id, 12, 'the snapshot\'s mark on my card stays');
  assert.ok(store.view.cards.every(c => c.author === null));
});

test('hiding names clears every author but this participant\'s own mark on their cards', () => {
  seq = 10;
  const store = createStore({snapshot: board(), me});
  store.applyEvent(event('session.settings', {settings: {anonymous: true}}));
  assert.equal(cardIn(store.view, 1).author_participant_id, null, 'Anna\'s card: no author id');
  assert.equal(cardIn(store.view, 2).author_participant_id, 12, 'my own card: still mine');
  assert.ok(store.view.cards.every(c => c.author === null));
  assert.ok(store.view.participants.every(p => p.name === null));
});

test('the vote ranking is the report\'s: ties share a rank, no card without votes, ties in board order', async () => {
  const {ranking} = await import('../../static/js/store.js');
  const cards = [5, 3, 0, 3, 1, 1].map((_, i) => ({id: i + 1, position: 10 - i, title: `k${i + 1}`}));
  const s = {cards, vote: {status: 'revealed', counts: {1: 5, 2: 3, 3: 0, 4: 3, 5: 1, 6: 1, 99: 4}}};
  assert.deepEqual(ranking(s).map(r => [r.rank, r.card.id, r.votes]),
    [[1, 1, 5], [2, 4, 3], [2, 2, 3], [4, 6, 1], [4, 5, 1]]); // card 99 is gone; 4 and 6 lie higher on the board
  assert.deepEqual(ranking({cards, vote: {status: 'open', counts: null}}), [], 'hidden counts rank nothing');
  assert.deepEqual(ranking({cards, vote: null}), []);
});
