/* relatio web tracking snippet: first-party, no dependencies.
 *   <script async src="https://crm.example/t/relatio.js" data-key="SITE_KEY"
 *           data-consent="required"></script>
 * Sends page views (with the referrer), site searches (?q=), product views
 * ([data-relatio-product]), add to cart ([data-relatio-cart] clicks), and
 * what the page calls through window.relatio; waits for relatio.consent(true)
 * when data-consent="required"; renders personalised content into
 * [data-relatio-slot] elements and exposes it as relatio.content. */
(function () {
  'use strict';
  if (window.relatio && window.relatio.version) return;
  var script = document.currentScript || document.querySelector('script[src*="/t/relatio.js"]');
  if (!script) return;
  var endpoint = new URL('/t/collect', script.src).href;
  var key = script.getAttribute('data-key');
  var needConsent = script.getAttribute('data-consent') === 'required';
  var queue = [], timer = null, listeners = [];
  var DAY = 86400;

  function cookie(name) {
    var m = document.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : null;
  }
  function setCookie(name, value, days) {
    document.cookie = name + '=' + encodeURIComponent(value) + '; Max-Age=' + days * DAY +
      '; Path=/; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
  }
  function newId() {
    var b = new Uint8Array(16), s = '';
    (window.crypto || window.msCrypto).getRandomValues(b);
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
    return s;
  }
  var consent = cookie('relatio_consent'); /* "1", "0" or null */
  function visitor() {
    var v = cookie('relatio_vid');
    if (!v) { v = newId(); setCookie('relatio_vid', v, 395); }
    return v;
  }
  function allowed() { return needConsent ? consent === '1' : consent !== '0'; }

  function render(content) {
    api.content = content || {};
    var nodes = document.querySelectorAll('[data-relatio-slot]');
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i], c = api.content[el.getAttribute('data-relatio-slot')];
      if (!c || el.getAttribute('data-relatio-rendered') === '1') continue;
      el.setAttribute('data-relatio-rendered', '1');
      var box = document.createElement('div');
      box.className = 'relatio-content';
      if (c.title) { var t = document.createElement('strong'); t.textContent = String(c.title); box.appendChild(t); }
      if (c.text) { var p = document.createElement('p'); p.textContent = String(c.text); box.appendChild(p); }
      if (c.url && /^(https?:\/\/|\/)/.test(String(c.url))) {
        var a = document.createElement('a');
        a.href = String(c.url);
        a.textContent = String(c.link || c.cta || c.url);
        box.appendChild(a);
      }
      el.appendChild(box);
    }
    for (var j = 0; j < listeners.length; j++) { try { listeners[j](api.content); } catch (e) { /* the page's own */ } }
    try { document.dispatchEvent(new CustomEvent('relatio:content', { detail: api.content })); } catch (e) { /* old browser */ }
  }

  function flush() {
    timer = null;
    if (!queue.length || !allowed() || !key) return;
    var events = queue.splice(0, 100);
    var body = JSON.stringify({ key: key, visitor: visitor(), consent: consent === '1', events: events });
    fetch(endpoint, { method: 'POST', mode: 'cors', credentials: 'omit', keepalive: body.length < 60000,
      headers: { 'Content-Type': 'application/json' }, body: body })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (res) { if (res && res.content) render(res.content); })
      .catch(function () { /* offline: the events are lost, the page is not */ });
    if (queue.length) schedule();
  }
  function schedule() { if (!timer) timer = setTimeout(flush, 50); }

  function track(type, props) {
    if (consent === '0') return;
    var ev = { type: type, at: new Date().toISOString() };
    for (var k in props) if (Object.prototype.hasOwnProperty.call(props, k) && props[k] != null) ev[k] = props[k];
    queue.push(ev);
    if (queue.length > 500) queue.shift();
    schedule();
  }

  var api = {
    version: 1,
    content: {},
    track: track,
    page: function () { track('page_view', { url: location.href, title: document.title, referrer: document.referrer || null }); },
    product: function (sku) { track('product_view', { product: String(sku), url: location.href }); },
    search: function (q) { track('search', { query: String(q), url: location.href }); },
    cart: function (sku) { track('add_to_cart', { product: String(sku) }); },
    checkout: function () { track('checkout_started', { url: location.href }); },
    purchase: function (order, amountMinor, currency) {
      track('purchase', { order: String(order), amount_minor: amountMinor, currency: currency });
    },
    /* token: signed by the site's backend, or from an e-mail link */
    identify: function (token) { track('identify', { token: String(token) }); },
    consent: function (granted) {
      consent = granted ? '1' : '0';
      setCookie('relatio_consent', consent, 395);
      if (granted) schedule(); else queue.length = 0;
    },
    onContent: function (fn) { listeners.push(fn); },
  };
  window.relatio = api;

  var params = new URLSearchParams(location.search);
  var token = params.get('relatio_id');
  if (token) {
    api.identify(token);
    params.delete('relatio_id');
    var rest = params.toString();
    try { history.replaceState(history.state, '', location.pathname + (rest ? '?' + rest : '') + location.hash); } catch (e) { /* sandboxed */ }
  }
  api.page();
  var q = params.get('q') || params.get('s') || params.get('search');
  if (q) api.search(q);
  function scan() {
    var p = document.querySelectorAll('[data-relatio-product]');
    for (var i = 0; i < p.length; i++) api.product(p[i].getAttribute('data-relatio-product'));
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scan); else scan();
  document.addEventListener('click', function (e) {
    var el = e.target && e.target.closest ? e.target.closest('[data-relatio-cart]') : null;
    if (el) api.cart(el.getAttribute('data-relatio-cart'));
  }, true);
  addEventListener('pagehide', flush);
  var pre = window.relatioQueue;
  if (pre && pre.length) for (var n = 0; n < pre.length; n++) { var c = pre[n]; if (api[c[0]]) api[c[0]].apply(api, c.slice(1)); }
})();
