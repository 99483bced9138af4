// node --test tests/js/  (no npm dependencies)
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {applyPresence, expandSnapshot} from '../../static/js/wire.js';

const fien = {kind: 'facilitator', id: 3, name: 'Fien', editing: null};
const piet = {kind: 'participant', id: 12, name: 'Piet', editing: null};
const anna = {kind: 'participant', id: 14, name: 'anna', editing: null};

test('a whole list replaces what was there, in the server order', () => {
  const list = applyPresence([piet], {people: [piet, anna, fien]});
  assert.deepEqual(list.map(p => p.name), ['Fien', 'anna', 'Piet']);
});

test('changes add, update and remove people, and keep the order', () => {
  let list = applyPresence([], {people: [fien, piet]});
  list = applyPresence(list, {changes: [anna]});
  assert.deepEqual(list.map(p => p.id), [3, 14, 12]);
  list = applyPresence(list, {changes: [{...piet, editing: 91}]});
  assert.equal(list.find(p => p.id === 12).editing, 91);
  assert.equal(list.length, 3);
  list = applyPresence(list, {changes: [{kind: 'participant', id: 14, gone: true}]});
  assert.deepEqual(list.map(p => p.id), [3, 12]);
});

test('a participant and a facilitator with the same id are different people', () => {
  const list = applyPresence([fien], {changes: [{kind: 'participant', id: 3, name: 'Drie', editing: null}]});
  assert.equal(list.length, 2);
  assert.equal(list[0].kind, 'facilitator');
});

test('anonymous people (no names) are ordered by id', () => {
  const list = applyPresence([], {changes: [{kind: 'participant', id: 9, name: null}, {kind: 'participant', id: 2, name: null}]});
  assert.deepEqual(list.map(p => p.id), [2, 9]);
  assert.equal(list[0].editing, null);
});

test('the list given is not changed', () => {
  const before = [fien, piet];
  applyPresence(before, {changes: [{kind: 'participant', id: 12, gone: true}]});
  assert.equal(before.length, 2);
});

test('a compact snapshot expands to the plain snapshot', () => {
  const plain = {
    seq: 7,
    session: {id: 1, title: 'Vergunning'},
    phases: [{id: 4, position: 1, current_name: null, desired_name: 'Idee', statement: ''}],
    lanes: [{id: 3, position: 1, kind: 'innovations', name: 'Dienstinnovaties'}],
    cards: [
      {id: 91, phase_id: 4, lane_id: 3, position: 1, title: 'Track & Trace', statement: 'Ik zie het.',
       channels: ['sms'], author: 'Piet', author_participant_id: 12, library_entry_id: null, votes: 0,
       created_at: '2026-12-01T10:00:00Z', updated_at: '2026-12-01T10:00:00Z'},
      {id: 92, phase_id: 4, lane_id: 3, position: 2, title: 'Chatbot', statement: '',
       channels: [], author: null, author_participant_id: null, library_entry_id: 5, votes: 2,
       created_at: '2026-12-01T10:00:00Z', updated_at: '2026-12-01T10:05:00Z'},
    ],
    plate: [],
    participants: [{id: 12, name: 'Piet'}],
    agenda: [], timer: null, vote: null,
  };
  const table = (rows, keys) => ({keys, rows: rows.map(r => keys.map(k => r[k]))});
  const cardKeys = Object.keys(plain.cards[0]);
  const compact = {
    ...plain,
    phases: table(plain.phases, Object.keys(plain.phases[0])),
    lanes: table(plain.lanes, Object.keys(plain.lanes[0])),
    cards: {keys: cardKeys, rows: plain.cards.map(c => cardKeys.map(k => (k === 'updated_at' && c.updated_at === c.created_at ? null : c[k])))},
    plate: {keys: ['id', 'section', 'heading', 'text', 'position'], rows: []},
    participants: table(plain.participants, ['id', 'name']),
  };
  assert.deepEqual(expandSnapshot(compact), plain);
});

test('a snapshot without tables passes through', () => {
  assert.deepEqual(expandSnapshot({seq: 1, cards: [{id: 1, updated_at: 'x'}]}), {seq: 1, cards: [{id: 1, updated_at: 'x'}]});
});
