// What the browser's store costs per server event: apply the event, then build the view the page
// draws (`replay(pending, copy(confirmed))`), on a large board (11 phases × 4 lanes, 400 cards).
// Prints one JSON line. Run: node bench/store_bench.mjs [--cards 400] [--events 2000]
import {performance} from 'node:perf_hooks';

import {createStore} from '../static/js/store.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CARDS = arg('cards', 400);
const EVENTS = arg('events', 2000);

function bigBoard() {
  const phases = Array.from({length: 11}, (_, i) => ({id: i + 1, position: i + 1, current_name: `Fase ${i + 1}`, desired_name: `Gewenst ${i + 1}`, statement: 'Ik …'}));
  const lanes = ['current', 'desired', 'innovations', 'backoffice'].map((kind, i) => ({id: 100 + i, position: i + 1, kind, name: kind}));
  const cards = Array.from({length: CARDS}, (_, i) => ({id: i + 1, phase_id: (i % 11) + 1, lane_id: 100 + (i % 4), position: i,
    title: `Kaart ${i + 1} met een titel`, statement: 'Ik zie steeds de voortgang van mijn aanvraag.', channels: ['website-gemeente', 'sms'],
    author: 'Piet', author_participant_id: 12, library_entry_id: null, votes: 0}));
  return {seq: 1, session: {settings: {locked: false, anonymous: false, edit_policy: 'all'}}, phases, lanes, cards,
    plate: [], participants: [], agenda: [], timer: null, vote: null};
}

function run(pendingOps) {
  const store = createStore({snapshot: bigBoard(), me: {kind: 'participant', id: 12, name: 'Piet'}});
  for (let i = 0; i < pendingOps; i++) store.propose({type: 'card.update', op_id: `p12-x-${i}`, id: i + 1, title: `Mijn titel ${i}`});
  let seq = 1;
  const times = [];
  for (let i = 0; i < EVENTS; i++) {
    const t0 = performance.now();
    store.applyEvent({seq: ++seq, event: 'card.update', op_id: null, actor: 'p:3',
      data: {id: (i % CARDS) + 1, changes: {title: `Hun titel ${i}`}}});
    void store.view.cards.length; // the page reads the view once per redraw
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const pct = p => Math.round(times[Math.floor(times.length * p)] * 1000) / 1000;
  return {pending: pendingOps, p50_ms: pct(0.5), p95_ms: pct(0.95), max_ms: pct(0.999)};
}

const results = [run(0), run(5)];
console.log(JSON.stringify({bench: 'store', cards: CARDS, events: EVENTS, node: process.version, results}));
