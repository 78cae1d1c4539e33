// Wharf web UI: one page shell, routed on location.pathname.
//
//   /                     repositories
//   /r/<name>             one repository's tags
//   /r/<name>:<tag>       one manifest, by tag
//   /r/<name>@<digest>    one manifest, by digest
//
// Every string from the server is attacker-controlled (names, tags, labels, annotations), so the
// DOM is built with createElement/textContent only; the server's CSP forbids inline scripts and
// styles, so look is in app.css and behaviour is attached here.
// Browser tests wait for document.body.dataset.ready == "1"; it is "0" while a page is loading.

const API = '/wharf/ui/api';
const FILTER_DELAY_MS = 250;
const COPIED_FEEDBACK_MS = 1500;

// What GET /session answered; until then, the safest assumption: no sign-in, no deletes.
let session = { auth: 'none', signIn: false, user: null, deleteEnabled: false, readOnly: true };

// Each navigation aborts the requests of the one before, so a slow answer never paints over a
// newer page.
let navigation = new AbortController();

// ---------------------------------------------------------------- DOM helpers

/** el('a', {href: '/', className: 'x'}, 'text', childNode) — children may be strings, nodes, null. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined) continue;
    if (key in node) node[key] = value; // Properties take false as well (hidden, spellcheck).
    else if (value !== false) node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

const $ = (selector) => document.querySelector(selector);

function setReady(ready) {
  document.body.dataset.ready = ready ? '1' : '0';
}

// ---------------------------------------------------------------- formatting

const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** 1000-based units throughout, as registries and `podman images` print them: "2.1 MB". */
function humanSize(bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '—';
  let value = bytes;
  let unit = 0;
  // Compare the rounded value, so 999,960 bytes reads "1.0 MB" rather than "1000.0 kB".
  while (Number(value.toFixed(1)) >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${SIZE_UNITS[unit]}`;
}

function sizeCell(bytes, extraClass = '') {
  return el('td', {
    className: `size num ${extraClass}`.trim(),
    title: typeof bytes === 'number' ? `${bytes.toLocaleString('en')} bytes` : null,
  }, humanSize(bytes));
}

/** "sha256:0123456789ab" — the algorithm and the first 12 hex characters, like `podman images`. */
function shortDigest(digest) {
  if (!digest) return '';
  const colon = digest.indexOf(':');
  return colon < 0 ? digest.slice(0, 12) : digest.slice(0, colon + 1 + 12);
}

/** A repository name that may wrap after each '/', so long paths fold on phones without breaking words. */
function breakableName(name) {
  return name.split('/').flatMap((part, i) => (i === 0 ? [part] : [el('wbr'), `/${part}`]));
}

function digestText(digest) {
  return el('span', { className: 'digest', title: digest }, shortDigest(digest));
}

const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const TIME_STEPS = [
  ['year', 365 * 24 * 3600], ['month', 30 * 24 * 3600], ['week', 7 * 24 * 3600],
  ['day', 24 * 3600], ['hour', 3600], ['minute', 60], ['second', 1],
];

/** "3 hours ago", with the exact UTC time on hover. */
function timeText(iso) {
  if (!iso) return el('span', { className: 'muted' }, '—');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return el('span', {}, iso);
  const seconds = (date.getTime() - Date.now()) / 1000;
  const [unit, size] = TIME_STEPS.find(([, s]) => Math.abs(seconds) >= s) ?? ['second', 1];
  const absolute = date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return el('time', { dateTime: iso, title: absolute }, relativeFormat.format(Math.round(seconds / size), unit));
}

function kindBadge(kind, artifactType) {
  return el('span', { className: `badge kind-${kind || 'unknown'}`, title: artifactType || null }, kind || '?');
}

/** A command line as text, e.g. ["/bin/sh","-c","x"] → /bin/sh -c x (arguments with spaces quoted). */
function commandText(argv) {
  return argv.map((arg) => (/[\s"'\\]/.test(arg) || arg === '' ? JSON.stringify(arg) : arg)).join(' ');
}

// ---------------------------------------------------------------- routing

function parseRoute(pathname) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    path = pathname;
  }
  if (path === '/' || path === '') return { page: 'repositories' };
  if (!path.startsWith('/r/')) return { page: 'unknown' };
  const rest = path.slice(3);
  // Names never hold ':' or '@' (contract), so the first '@' starts a digest, else the first ':' a tag.
  const at = rest.indexOf('@');
  if (at >= 0) return { page: 'manifest', name: rest.slice(0, at), reference: rest.slice(at + 1), byDigest: true };
  const colon = rest.indexOf(':');
  if (colon >= 0) return { page: 'manifest', name: rest.slice(0, colon), reference: rest.slice(colon + 1), byDigest: false };
  const name = rest.replace(/\/+$/, '');
  return name ? { page: 'repository', name } : { page: 'repositories' };
}

const repositoryPath = (name) => `/r/${name}`;
const tagPath = (name, tag) => `/r/${name}:${tag}`;
const digestPath = (name, digest) => `/r/${name}@${digest}`;

function navigate(path) {
  if (path !== location.pathname + location.search) history.pushState(null, '', path);
  window.scrollTo(0, 0);
  route();
}

// Same-origin links to our own pages are followed without a reload; anything else (new tab,
// modifier keys, other paths) is left to the browser.
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href]');
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || link.target) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || parseRoute(url.pathname).page === 'unknown') return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => route());

async function route() {
  navigation.abort();
  navigation = new AbortController();
  const { signal } = navigation;
  setReady(false);
  hideError();
  const main = $('#main');
  main.replaceChildren(el('p', { className: 'loading' }, 'Loading…'));
  const where = parseRoute(location.pathname);
  try {
    if (where.page === 'repositories') await showRepositories(main, signal);
    else if (where.page === 'repository') await showRepository(main, where.name, signal);
    else if (where.page === 'manifest') await showManifest(main, where, signal);
    else {
      document.title = 'Not found — Wharf';
      main.replaceChildren(el('h1', {}, 'Page not found'), el('p', {}, el('a', { href: '/' }, 'All repositories')));
    }
  } catch (error) {
    if (signal.aborted) return; // A newer navigation owns the page now.
    main.replaceChildren(el('p', {}, el('a', { href: '/' }, 'All repositories')));
    showError(error);
  }
  if (!signal.aborted) setReady(true);
}

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Fetches JSON; answers { data, next } where next is the Link rel="next" URL, or throws ApiError. */
async function api(url, { method = 'GET', body, signal } = {}) {
  const options = { method, credentials: 'same-origin', signal, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', 'The server could not be reached.');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const first = data?.errors?.[0];
    throw new ApiError(response.status, first?.code ?? '',
      first?.message || `The server answered ${response.status} ${response.statusText}`.trim());
  }
  return { data, next: nextLink(response.headers.get('Link')) };
}

function nextLink(header) {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match && /;\s*rel="?next"?/i.test(match[2])) return match[1];
  }
  return null;
}

const query = (params) => new URLSearchParams(
  Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();

// ---------------------------------------------------------------- error banner

function showError(error) {
  const banner = $('#error');
  const message = typeof error === 'string' ? error : error.message;
  banner.replaceChildren();
  if (error instanceof ApiError && error.status === 401 && session.signIn) {
    // Anonymous callers (or ones whose session ran out) are not allowed here: invite them in
    // rather than just refuse.
    if (session.user) {
      session = { ...session, user: null };
      renderAccount();
    }
    append(banner, [el('span', {}, 'Sign in to see this. '),
      el('button', { type: 'button', className: 'link', onclick: openSignIn }, 'Sign in')]);
  } else {
    banner.textContent = message;
  }
  banner.hidden = false;
}

function hideError() {
  const banner = $('#error');
  banner.hidden = true;
  banner.replaceChildren();
}

// ---------------------------------------------------------------- clipboard and dialogs

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Denied or unfocused: fall through to the old way.
    }
  }
  // Plain-http registries are not a secure context, so navigator.clipboard is missing there.
  const area = el('textarea', { className: 'offscreen', readOnly: true, value: text });
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  area.remove();
  return copied;
}

function copyButton(command) {
  const button = el('button', { type: 'button', className: 'copy', title: command }, 'Copy pull');
  button.addEventListener('click', async () => {
    const copied = await copyText(command);
    button.textContent = copied ? 'Copied' : 'Copy failed';
    button.classList.toggle('done', copied);
    setTimeout(() => {
      button.textContent = 'Copy pull';
      button.classList.remove('done');
    }, COPIED_FEEDBACK_MS);
  });
  return button;
}

const pullCommand = (name, suffix) => `podman pull ${location.host}/${name}${suffix}`;

/** Asks before a delete; resolves true only on an explicit "Delete". */
function confirmDelete(what) {
  const dialog = $('#confirm');
  $('#confirm-text').textContent = what;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.showModal();
    $('#confirm-no').focus(); // The safe choice is the default one.
  });
}

$('#confirm-yes').addEventListener('click', () => $('#confirm').close('yes'));
$('#confirm-no').addEventListener('click', () => $('#confirm').close('no'));

const deletesAllowed = (mayDelete) => Boolean(mayDelete) && session.deleteEnabled !== false && !session.readOnly;

async function deleteManifest(name, reference) {
  await api(`${API}/manifest?${query({ repository: name, reference })}`, { method: 'DELETE' });
}

// ---------------------------------------------------------------- page: repositories

async function showRepositories(main, signal) {
  document.title = 'Repositories — Wharf';
  // The filter survives back/forward through history.state rather than the URL, which the
  // contract keeps to bare paths.
  const remembered = history.state?.filter ?? '';
  const filter = el('input', {
    id: 'filter', type: 'search', placeholder: 'Filter by name', value: remembered,
    autocomplete: 'off', spellcheck: false, 'aria-label': 'Filter repositories by name',
  });
  const list = pagedTable({
    id: 'repositories',
    headings: ['Name', 'Tags', 'Size', 'Last push'],
    numeric: [1, 2],
    empty: () => (filter.value ? 'No repository name contains this text.' : 'No repositories yet.'),
    row: (repository) => el('tr', {},
      el('td', { className: 'name' }, el('a', { href: repositoryPath(repository.name) }, breakableName(repository.name))),
      el('td', { className: 'num' }, String(repository.tags ?? '')),
      sizeCell(repository.size),
      el('td', {}, timeText(repository.lastPush))),
    items: (data) => data?.repositories ?? [],
  });

  const firstPage = () => `${API}/repositories?${query({ filter: filter.value.trim() })}`;
  onFilterInput(filter, () => {
    history.replaceState({ ...history.state, filter: filter.value }, '');
    return list.load(firstPage(), signal);
  });

  await list.load(firstPage(), signal, { initial: true });
  main.replaceChildren(el('h1', {}, 'Repositories'), el('div', { className: 'toolbar' }, filter), list.node);
}

/** Runs reload() ≈250 ms after the last keystroke; the page reads as not ready meanwhile. */
function onFilterInput(input, reload) {
  let timer = 0;
  input.addEventListener('input', () => {
    setReady(false);
    clearTimeout(timer);
    timer = setTimeout(() => reload().catch(reportLater), FILTER_DELAY_MS);
  });
}

/** Errors after a page is shown (filter, More, delete): banner, and the page stays usable. */
function reportLater(error) {
  if (error?.name === 'AbortError') return;
  showError(error);
  setReady(true);
}

/**
 * A table filled page by page through the Link header: load(url) replaces the rows, the #more
 * button appends the next page. Only the latest load paints, so quick typing cannot interleave.
 */
function pagedTable({ id, headings, numeric = [], empty, row, items }) {
  const body = el('tbody');
  const table = el('table', { id },
    el('thead', {}, el('tr', {}, headings.map((h, i) => el('th', { className: numeric.includes(i) ? 'num' : '', scope: 'col' }, h)))),
    body);
  const emptyNote = el('p', { className: 'empty', hidden: true });
  const more = el('button', { id: 'more', type: 'button', hidden: true }, 'More');
  let next = null;
  let generation = 0;

  // The first load belongs to the router, which says when the whole page is ready; later loads
  // (filter, sort, More, after a delete) say it themselves.
  async function fetchInto(url, signal, replace, initial = false) {
    const mine = ++generation;
    if (!initial) setReady(false);
    const { data, next: following } = await api(url, { signal });
    if (mine !== generation) return;
    const rows = items(data).map(row);
    if (replace) body.replaceChildren(...rows);
    else body.append(...rows);
    next = following;
    more.hidden = !next;
    const none = body.rows.length === 0;
    table.hidden = none;
    emptyNote.hidden = !none;
    emptyNote.textContent = none ? empty() : '';
    if (!initial) {
      hideError();
      setReady(true);
    }
  }

  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      await fetchInto(next, navigation.signal, false);
    } catch (error) {
      reportLater(error);
    } finally {
      more.disabled = false;
    }
  });

  return {
    node: el('div', { className: 'paged' }, el('div', { className: 'table-scroll' }, table), emptyNote, more),
    // The first load's errors go to the router (whole page fails); later ones to the banner.
    load: (url, signal, { initial = false } = {}) => fetchInto(url, signal, true, initial),
  };
}

// ---------------------------------------------------------------- page: one repository

async function showRepository(main, name, signal) {
  document.title = `${name} — Wharf`;
  const remembered = history.state ?? {};
  const filter = el('input', {
    id: 'tag-filter', type: 'search', placeholder: 'Filter tags', value: remembered.tagFilter ?? '',
    autocomplete: 'off', spellcheck: false, 'aria-label': 'Filter tags',
  });
  const sort = el('select', { id: 'sort', 'aria-label': 'Sort tags' },
    el('option', { value: 'name' }, 'By name'),
    el('option', { value: 'date' }, 'Newest first'));
  sort.value = remembered.sort === 'date' ? 'date' : 'name';

  let mayDelete = false;
  const list = pagedTable({
    id: 'tags',
    headings: ['Tag', 'Kind', 'Platforms', 'Digest', 'Size', 'Pushed', ''],
    numeric: [4],
    empty: () => (filter.value ? 'No tag contains this text.' : 'This repository has no tags.'),
    items: (data) => {
      mayDelete = deletesAllowed(data?.mayDelete);
      return data?.tags ?? [];
    },
    row: (tag) => tagRow(name, tag, mayDelete, reload),
  });

  const firstPage = () => `${API}/tags?${query({ repository: name, filter: filter.value.trim(), sort: sort.value })}`;
  const remember = () => history.replaceState({ ...history.state, tagFilter: filter.value, sort: sort.value }, '');
  function reload() {
    remember();
    return list.load(firstPage(), navigation.signal);
  }
  onFilterInput(filter, reload);
  sort.addEventListener('change', () => reload().catch(reportLater));

  await list.load(firstPage(), signal, { initial: true });
  main.replaceChildren(
    breadcrumbs([['Repositories', '/']]),
    el('h1', {}, name),
    el('div', { className: 'toolbar' }, filter, el('label', { className: 'sort' }, 'Sort ', sort)),
    list.node);
}

function tagRow(name, tag, mayDelete, reload) {
  const isIndex = tag.kind === 'index';
  const actions = el('td', { className: 'actions' }, copyButton(pullCommand(name, `:${tag.name}`)));
  if (mayDelete) {
    const remove = el('button', { type: 'button', className: 'delete danger', title: `Delete tag ${tag.name}` }, 'Delete');
    remove.addEventListener('click', async () => {
      const sure = await confirmDelete(`Delete the tag ${name}:${tag.name}? Only the tag goes; `
        + 'the manifest it points at stays reachable by digest.');
      if (!sure) return;
      setReady(false);
      try {
        await deleteManifest(name, tag.name);
        await reload();
      } catch (error) {
        reportLater(error);
      }
    });
    actions.append(remove);
  }
  return el('tr', {},
    el('td', { className: 'name' }, el('a', { href: tagPath(name, tag.name) }, tag.name)),
    el('td', {}, kindBadge(tag.kind, tag.artifactType)),
    el('td', { className: 'platforms' }, (tag.platforms ?? []).map((p) => el('span', { className: 'platform' }, p))),
    el('td', {}, el('a', { href: digestPath(name, tag.digest), className: 'digest', title: tag.digest }, shortDigest(tag.digest))),
    // An index's own size is only its JSON; its platforms say more, so the number is dimmed.
    sizeCell(tag.size, isIndex ? 'muted' : ''),
    el('td', {}, timeText(tag.lastPush)),
    actions);
}

function breadcrumbs(links) {
  return el('nav', { className: 'crumbs', 'aria-label': 'Breadcrumbs' },
    links.map(([text, href]) => [el('a', { href }, text), el('span', { className: 'sep', 'aria-hidden': 'true' }, '/')]));
}

// ---------------------------------------------------------------- page: one manifest

async function showManifest(main, { name, reference, byDigest }, signal) {
  const title = byDigest ? `${name}@${reference}` : `${name}:${reference}`;
  document.title = `${title} — Wharf`;
  const { data: m } = await api(`${API}/manifest?${query({ repository: name, reference })}`, { signal });

  const header = el('header', { className: 'manifest-head' },
    breadcrumbs([['Repositories', '/'], [name, repositoryPath(name)]]),
    el('h1', { className: byDigest ? 'by-digest' : '' }, title),
    el('div', { className: 'toolbar' },
      copyButton(pullCommand(name, byDigest ? `@${m.digest}` : `:${reference}`)),
      deletesAllowed(m.mayDelete) ? manifestDeleteButton(name, m) : null),
    definitions([
      ['Digest', el('span', { className: 'digest full' }, m.digest)],
      ['Kind', [kindBadge(m.kind, m.artifactType), m.artifactType ? el('span', { className: 'mono small' }, ` ${m.artifactType}`) : null]],
      ['Media type', el('span', { className: 'mono small' }, m.mediaType)],
      ['Size', sizeText(m)],
      ['Tags', m.tags?.length ? m.tags.map((t) => el('a', { href: tagPath(name, t), className: 'tag' }, t)) : null],
      ['Subject', m.subject ? el('a', { href: digestPath(name, m.subject.digest), className: 'digest', title: m.subject.digest }, shortDigest(m.subject.digest)) : null],
    ]));

  main.replaceChildren();
  append(main, [header, // Sections with nothing to show come back null and are left out.
    platformsSection(name, m.platforms),
    configSection(m),
    layersSection(m.layers),
    historySection(m.image?.history),
    annotationsSection(m.annotations),
    referrersSection(name, m.referrers),
    rawSection(m.raw)]);
}

function sizeText(m) {
  const own = el('span', { title: `${m.size} bytes` }, humanSize(m.size));
  if (typeof m.totalSize !== 'number' || m.totalSize === m.size) return own;
  return [own, el('span', { className: 'muted', title: `${m.totalSize} bytes` }, ` (${humanSize(m.totalSize)} with everything it references)`)];
}

function manifestDeleteButton(name, m) {
  const button = el('button', { type: 'button', className: 'delete danger' }, 'Delete manifest');
  button.addEventListener('click', async () => {
    const tags = m.tags?.length ? ` and its tags ${m.tags.join(', ')}` : '';
    const sure = await confirmDelete(`Delete ${name}@${m.digest}${tags}? This cannot be undone.`);
    if (!sure) return;
    setReady(false);
    try {
      await deleteManifest(name, m.digest); // By digest: the manifest and every tag on it.
      navigate(repositoryPath(name));
    } catch (error) {
      reportLater(error);
    }
  });
  return button;
}

/** A <dl> of [term, value] pairs; pairs with an empty value are left out. */
function definitions(pairs) {
  const list = el('dl', { className: 'facts' });
  for (const [term, value] of pairs) {
    if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) continue;
    list.append(el('dt', {}, term), append(el('dd', {}), [value]));
  }
  return list;
}

function section(id, heading, ...content) {
  return el('section', { id }, el('h2', {}, heading), ...content);
}

function scrollTable(headings, rows, className = '') {
  return el('div', { className: 'table-scroll' },
    el('table', { className },
      el('thead', {}, el('tr', {}, headings.map((h) => el('th', { scope: 'col', className: h === 'Size' ? 'num' : '' }, h)))),
      el('tbody', {}, rows)));
}

function platformsSection(name, platforms) {
  if (!platforms?.length) return null;
  return section('platforms', 'Platforms', scrollTable(['Platform', 'Digest', 'Media type', 'Size'],
    platforms.map((p) => el('tr', {},
      el('td', {}, p.present === false
        ? [el('span', {}, p.platform), ' ', el('span', { className: 'badge absent', title: 'Not pushed to this registry' }, 'not here')]
        : el('a', { href: digestPath(name, p.digest) }, p.platform)),
      el('td', {}, digestText(p.digest)),
      el('td', { className: 'mono small' }, p.mediaType),
      sizeCell(p.size)))));
}

function configSection(m) {
  const image = m.image;
  if (!image && !m.config) return null;
  const platform = image ? [image.os, image.architecture, image.variant].filter(Boolean).join('/') : null;
  return section('config', image ? 'Configuration' : 'Config blob', definitions([
    ['Platform', platform],
    ['Created', image?.created ? timeText(image.created) : null],
    ['Author', image?.author],
    ['Entrypoint', image?.entrypoint ? el('code', {}, commandText(image.entrypoint)) : null],
    ['Command', image?.cmd ? el('code', {}, commandText(image.cmd)) : null],
    ['Working directory', image?.workingDir ? el('code', {}, image.workingDir) : null],
    ['User', image?.user ? el('code', {}, image.user) : null],
    ['Environment', image?.env?.length ? el('ul', { className: 'plain mono' }, image.env.map((e) => el('li', {}, e))) : null],
    ['Exposed ports', image?.exposedPorts?.length ? image.exposedPorts.join(', ') : null],
    ['Labels', keyValues(image?.labels)],
    ['Config digest', m.config ? digestText(m.config.digest) : null],
    ['Config media type', m.config ? el('span', { className: 'mono small' }, m.config.mediaType) : null],
    ['Config size', m.config ? humanSize(m.config.size) : null],
  ]));
}

/** Labels and annotations: a compact key → value list, or null when there are none. */
function keyValues(map) {
  const entries = Object.entries(map ?? {});
  if (!entries.length) return null;
  return el('dl', { className: 'pairs' }, entries.map(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))]));
}

function layersSection(layers) {
  if (!layers?.length) return null;
  return section('layers', `Layers (${layers.length})`, scrollTable(['#', 'Digest', 'Media type', 'Size'],
    layers.map((layer, i) => el('tr', {},
      el('td', { className: 'muted' }, String(i + 1)),
      el('td', {}, digestText(layer.digest)),
      el('td', { className: 'mono small' }, layer.mediaType, keyValues(layer.annotations)),
      sizeCell(layer.size)))));
}

function historySection(history) {
  if (!history?.length) return null;
  return section('history', 'History', scrollTable(['Created', 'Created by', 'Layer'],
    history.map((step) => el('tr', {},
      el('td', { className: 'nowrap' }, timeText(step.created)),
      el('td', { className: 'step' }, el('code', {}, cleanStep(step.createdBy ?? '')),
        step.comment ? el('div', { className: 'muted small' }, step.comment) : null),
      el('td', {}, step.emptyLayer ? el('span', { className: 'badge muted' }, 'empty') : 'yes'))),
  'history'));
}

// Docker's "/bin/sh -c #(nop) " prefix marks metadata-only steps; without it the step reads as
// the Dockerfile line it came from.
function cleanStep(createdBy) {
  return createdBy.replace(/^\/bin\/sh -c #\(nop\)\s+/, '').replace(/\s+$/, '');
}

function annotationsSection(annotations) {
  const list = keyValues(annotations);
  return list ? section('annotations', 'Annotations', list) : null;
}

function referrersSection(name, referrers) {
  if (!referrers?.length) return null;
  return section('referrers', 'Referrers', referrerTree(name, referrers));
}

function referrerTree(name, referrers) {
  return el('ul', { className: 'tree' }, referrers.map((r) => el('li', {},
    el('div', { className: 'node' },
      el('span', { className: 'badge kind-artifact' }, r.artifactType || r.mediaType || 'artifact'), ' ',
      el('a', { href: digestPath(name, r.digest), className: 'digest', title: r.digest }, shortDigest(r.digest)), ' ',
      el('span', { className: 'muted small' }, humanSize(r.size))),
    keyValues(r.annotations),
    r.referrers?.length ? referrerTree(name, r.referrers) : null)));
}

function rawSection(raw) {
  if (!raw) return null;
  let pretty = raw;
  try {
    pretty = JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    // Stored bytes that are not JSON are shown as they are.
  }
  return section('raw', 'Manifest JSON', el('details', {}, el('summary', {}, 'Show the stored manifest'), el('pre', {}, pretty)));
}

// ---------------------------------------------------------------- session: sign in and out

async function loadSession() {
  try {
    const { data } = await api(`${API}/session`);
    if (data) session = data;
  } catch (error) {
    showError(error);
  }
  renderAccount();
}

function renderAccount() {
  const signedIn = Boolean(session.user);
  const authOn = session.auth && session.auth !== 'none';
  $('#user').textContent = session.user ?? '';
  $('#user').hidden = !signedIn;
  $('#signout').hidden = !(authOn && signedIn);
  $('#signin-open').hidden = !(authOn && session.signIn && !signedIn);
}

function openSignIn() {
  $('#signin-message').hidden = true;
  $('#signin').showModal();
  $('#username').focus();
}

$('#signin-open').addEventListener('click', openSignIn);
$('#signin-cancel').addEventListener('click', () => $('#signin').close());

$('#signin-form').addEventListener('submit', async (event) => {
  event.preventDefault(); // method=dialog would close before the server has answered.
  const message = $('#signin-message');
  const submit = $('#signin-submit');
  message.hidden = true;
  submit.disabled = true;
  try {
    const { data } = await api(`${API}/session`, {
      method: 'POST', body: { username: $('#username').value, password: $('#password').value },
    });
    session = data ?? { ...session, user: $('#username').value };
    $('#password').value = '';
    $('#signin').close();
    renderAccount();
    route(); // What was refused may be allowed now.
  } catch (error) {
    message.textContent = error.status === 401 ? 'Wrong user name or password.'
      : error.status === 429 ? 'Too many attempts. Wait a moment, then try again.'
        : error.message;
    message.hidden = false;
  } finally {
    submit.disabled = false;
  }
});

$('#signout').addEventListener('click', async () => {
  try {
    await api(`${API}/session`, { method: 'DELETE' });
  } catch (error) {
    showError(error);
    return;
  }
  session = { ...session, user: null };
  renderAccount();
  route();
});

// ---------------------------------------------------------------- start

await loadSession();
route();
