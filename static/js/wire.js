// Decoding of the live protocol's compact forms (docs/protocol.md): pure functions, no DOM,
// so the board's store and the node tests (tests/js/wire.test.js) use them alike.
//
// The browser announces them in hello (`features`); a server that does not know them sends
// the older forms (whole presence lists, plain snapshots), which need no decoding.

export const FEATURES = ['presence-delta', 'compact-snapshot'];

// The lists of a snapshot that a compact snapshot sends as columns: {keys: [...], rows: [[...], ...]}.
const TABLES = ['phases', 'lanes', 'cards', 'plate', 'participants'];

function expandTable(table) {
  if (!table || !Array.isArray(table.keys) || !Array.isArray(table.rows)) return table;
  const keys = table.keys;
  return table.rows.map(row => {
    const item = {};
    for (let i = 0; i < keys.length; i++) item[keys[i]] = row[i];
    return item;
  });
}

// A compact snapshot (the `compact` field of a snapshot frame) → the snapshot as
// `GET /api/sessions/<id>` returns it. A card's `updated_at` is null there when it equals
// its `created_at` (most cards are never edited).
export function expandSnapshot(compact) {
  const snapshot = {...compact};
  for (const name of TABLES) {
    if (name in compact) snapshot[name] = expandTable(compact[name]);
  }
  if (Array.isArray(snapshot.cards)) {
    for (const card of snapshot.cards) {
      if (card.updated_at === null) card.updated_at = card.created_at;
    }
  }
  return snapshot;
}

// The order the server lists people in (workshop/live/presence.py merge): facilitator first,
// then by name (case-insensitive), then by id.
function comparePeople(a, b) {
  const fa = a.kind !== 'facilitator', fb = b.kind !== 'facilitator';
  if (fa !== fb) return fa ? 1 : -1;
  const na = (a.name || '').toLowerCase(), nb = (b.name || '').toLowerCase();
  if (na !== nb) return na < nb ? -1 : 1;
  return a.id - b.id;
}

// The presence list after a `presence` frame: `frame.people` replaces it (older servers, and
// `synced`); `frame.changes` updates it: each change is a person {kind, id, name, editing}, or
// {kind, id, gone: true} when that person has no connection left. Returns a new list.
export function applyPresence(list, frame) {
  if (Array.isArray(frame.people)) return [...frame.people].sort(comparePeople);
  const byKey = new Map((list || []).map(p => [`${p.kind}:${p.id}`, p]));
  for (const change of frame.changes || []) {
    const key = `${change.kind}:${change.id}`;
    if (change.gone) byKey.delete(key);
    else byKey.set(key, {kind: change.kind, id: change.id, name: change.name ?? null, editing: change.editing ?? null});
  }
  return [...byKey.values()].sort(comparePeople);
}
