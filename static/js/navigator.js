// Finding one's way on a large board: the phase navigator (jump to a phase), the zoom
// control (normal, compact, the whole journey), the join dialog with the QR code, and
// small menus (details[data-popover]) that close on Escape or a click elsewhere.
//
// Works on the DOM alone: whatever draws the grid (#journey inside #grid-scroll), this
// module follows it through a MutationObserver, so it depends on no other module's API.
import {$, $$} from './dom.js';

const grid = $('#grid-scroll');
const navList = $('#phase-nav-list');
const ZOOM_KEY = 'workshop-board-zoom';
const ZOOMS = ['normal', 'compact', 'fit'];
const GAP = 6; // the table's border-spacing

const table = () => $('#journey', grid);
const corner = () => $('thead .corner', grid);

// ---------------------------------------------------------------------------
// phase navigator

function phaseHeads() {
  return $$('thead th.phase-head', grid);
}

function rebuildNav() {
  // the sticky lane names sit just below the sticky phase headers
  const thead = $('thead', grid);
  if (thead) grid.style.setProperty('--head-h', `${thead.getBoundingClientRect().height}px`);
  if (!navList) return;
  const heads = phaseHeads();
  const items = heads.map((th, i) => [th.dataset.phaseId, (th.querySelector('.phase-name') || th).textContent.trim(), i + 1]);
  const sig = JSON.stringify(items);
  if (navList.dataset.sig === sig) return;
  navList.dataset.sig = sig;
  const hadFocus = navList.contains(document.activeElement) ? document.activeElement.dataset.phaseId : null;
  navList.replaceChildren(...items.map(([id, name, n]) => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'phase-jump';
    b.dataset.phaseId = id;
    b.title = name;
    const no = document.createElement('span');
    no.className = 'phase-jump-no';
    no.textContent = String(n);
    const label = document.createElement('span');
    label.className = 'phase-jump-name';
    label.textContent = name;
    b.append(no, ' ', label);
    li.append(b);
    return li;
  }));
  if (hadFocus) { const again = navList.querySelector(`[data-phase-id="${hadFocus}"]`); if (again) again.focus(); }
  markInView();
}

// The left edge of a phase column in the grid's scroll coordinates, minus the sticky lane column.
function scrollLeftFor(th) {
  const gridBox = grid.getBoundingClientRect();
  const laneCol = corner() ? corner().getBoundingClientRect().width + GAP : 0;
  return th.getBoundingClientRect().left - gridBox.left + grid.scrollLeft - laneCol - GAP;
}

function jumpTo(phaseId) {
  const th = $(`thead th.phase-head[data-phase-id="${phaseId}"]`, grid);
  if (!th) return;
  const smooth = !matchMedia('(prefers-reduced-motion: reduce)').matches;
  grid.scrollTo({left: Math.max(0, scrollLeftFor(th)), behavior: smooth ? 'smooth' : 'auto'});
  // the keyboard lands on the phase itself (its menu button names it)
  const target = th.querySelector('.phase-menu-btn');
  if (target) target.focus({preventScroll: true});
}

let inViewQueued = false;
function markInView() {
  inViewQueued = false;
  if (!navList) return;
  const gridBox = grid.getBoundingClientRect();
  const left = gridBox.left + (corner() ? corner().getBoundingClientRect().width : 0);
  for (const th of phaseHeads()) {
    const r = th.getBoundingClientRect();
    const visible = r.right > left + 8 && r.left < gridBox.right - 8;
    const b = navList.querySelector(`[data-phase-id="${th.dataset.phaseId}"]`);
    if (b) b.classList.toggle('in-view', visible);
  }
}

if (navList) {
  navList.addEventListener('click', ev => {
    const b = ev.target.closest('.phase-jump');
    if (b) jumpTo(b.dataset.phaseId);
  });
}
grid.addEventListener('scroll', () => {
  if (!inViewQueued) { inViewQueued = true; requestAnimationFrame(markInView); }
}, {passive: true});

// ---------------------------------------------------------------------------
// zoom

function fitZoom() {
  const tbl = table();
  if (!tbl) return;
  grid.style.setProperty('--fit', '1');
  let z = 1;
  // a vertical scrollbar may come or go with the zoom: settle in a few steps
  for (let i = 0; i < 3 && grid.scrollWidth > grid.clientWidth; i += 1) {
    z = Math.max(0.2, Math.floor(z * ((grid.clientWidth - 2) / grid.scrollWidth) * 1000) / 1000);
    grid.style.setProperty('--fit', String(z));
  }
}

function setZoom(level, save = true) {
  if (!ZOOMS.includes(level)) level = 'normal';
  grid.dataset.zoom = level;
  for (const b of $$('.zoom-btn')) b.setAttribute('aria-pressed', String(b.dataset.zoom === level));
  if (level === 'fit') fitZoom();
  else grid.style.removeProperty('--fit');
  if (save) { try { localStorage.setItem(ZOOM_KEY, level); } catch (e) { /* private mode */ } }
  markInView();
}

for (const b of $$('.zoom-btn')) b.addEventListener('click', () => setZoom(b.dataset.zoom));
window.addEventListener('resize', () => { if (grid.dataset.zoom === 'fit') fitZoom(); markInView(); });

let stored = null;
try { stored = localStorage.getItem(ZOOM_KEY); } catch (e) { /* private mode */ }
setZoom(stored || 'normal', false);

// the grid is redrawn on every change: follow phases being added, renamed, moved
new MutationObserver(() => {
  rebuildNav();
  if (grid.dataset.zoom === 'fit') fitZoom();
}).observe(grid, {childList: true, subtree: true});
rebuildNav();

// ---------------------------------------------------------------------------
// the join dialog (facilitator): code, link and QR code

const joinDialog = $('#join-dialog');
const joinOpen = $('#join-open');
if (joinDialog && joinOpen) {
  joinOpen.addEventListener('click', () => joinDialog.showModal());
  $('#join-close').addEventListener('click', () => joinDialog.close());
  joinDialog.addEventListener('close', () => joinOpen.focus());
}

// ---------------------------------------------------------------------------
// small menus made of <details data-popover>: Escape or a click elsewhere closes them

document.addEventListener('click', ev => {
  for (const d of $$('details[data-popover][open]')) if (!d.contains(ev.target)) d.open = false;
});
document.addEventListener('keydown', ev => {
  if (ev.key !== 'Escape') return;
  const d = ev.target.closest && ev.target.closest('details[data-popover][open]');
  if (d) { d.open = false; $('summary', d).focus(); }
});
