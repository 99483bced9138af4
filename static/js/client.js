// One page's connection to its session, shared by the board and the plate page: the store
// (store.js) built from the page's data, sending operations (HTTP until live.js takes over),
// the connection indicator, and a small event bus for hooks between views of one page.
//
//   client.store       the store: every view reads client.store.view and subscribes to it
//   client.state       shorthand for client.store.view
//   client.send(op)    proposes the operation to the store (its guess shows at once), sends it,
//                      and acks or refuses it in the store with the server's answer; a refusal
//                      shows its message. Resolves with the server's answer, rejects on refusal.
//   client.transport   {send(op) → Promise}; live.js replaces it with the websocket
//   client.setConnectionState(name, label)
//   client.on / emit   hooks: 'card-rendered', 'card-menu', 'render', 'editing', 'live-frame' …
import {announce, httpTransport, opIds, pageData, showConnectionState, toast, translator} from './dom.js';
import {createStore} from './store.js';

export function createClient() {
  const {config, strings, snapshot} = pageData();
  const {t, tn} = translator(strings);
  const store = createStore({snapshot, me: config.me, isFacilitator: !!config.isFacilitator});
  const newOpId = opIds(config.me);
  const listeners = {};

  const client = {
    config,
    t,
    tn,
    store,
    get state() { return store.view; },
    transport: httpTransport(config.opsUrl, t, evt => store.applyEvent(evt)),

    on(name, fn) { (listeners[name] ||= []).push(fn); },
    emit(name, data) { for (const fn of listeners[name] || []) fn(data); },

    async send(op) {
      op.op_id ||= newOpId();
      store.propose(op);
      let result;
      try {
        result = await client.transport.send(op);
      } catch (err) {
        store.refuse(op.op_id);
        toast(err && err.message ? err.message : t('Something went wrong.'));
        throw err;
      }
      store.ack(op.op_id);
      return result;
    },

    // a server event (tests, and anything outside live.js that receives one)
    applyServerEvent: evt => store.applyEvent(evt),

    setConnectionState(name, label) {
      showConnectionState(name, label, t);
      store.setConnection(name);
    },

    announce,
    toast,

    // go live when the browser can; `fallback` runs when the live layer cannot load
    goLive(fallback = () => {}) {
      client.setConnectionState('http');
      if (!('WebSocket' in window)) { fallback(); return; }
      import('./live.js').then(m => m.connect(client)).catch(() => { client.setConnectionState('http'); fallback(); });
    },
  };
  return client;
}
