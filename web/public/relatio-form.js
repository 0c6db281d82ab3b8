/*
 * relatio web form snippet. On any site:
 *   <div data-relatio-form="FORM_KEY"></div>
 *   <script src="https://crm.example/relatio-form.js" async></script>
 * Renders the form described by GET /f/FORM_KEY and posts it to POST
 * /f/FORM_KEY as application/x-www-form-urlencoded (a "simple" cross-origin
 * request: no preflight), with a submission id (_nonce), the page (_page),
 * the tracking visitor (cookie relatio_vid, set by relatio.js), a honeypot
 * (_hp) and, when the form asks for it, a proof of work (_pow, _pow_nonce).
 * Every text goes through textContent: nothing typed or configured is ever
 * parsed as HTML.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : '';

  /* SHA-256 (FIPS 180-4) over a string's UTF-8 bytes; the proof of work
   * must work on plain http pages too, where crypto.subtle is absent. */
  var K = [];
  (function () {
    var n = 2, found = 0;
    function frac(x) { return ((x - Math.floor(x)) * 4294967296) | 0; }
    while (found < 64) {
      var prime = true;
      for (var d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
      if (prime) K[found++] = frac(Math.pow(n, 1 / 3));
      n++;
    }
  })();
  function sha256(str) {
    var bytes = unescape(encodeURIComponent(str)), len = bytes.length;
    var words = [], i;
    for (i = 0; i < len; i++) words[i >> 2] |= bytes.charCodeAt(i) << (24 - (i % 4) * 8);
    words[len >> 2] |= 0x80 << (24 - (len % 4) * 8);
    var nw = (((len + 8) >> 6) + 1) * 16;
    for (i = words.length; i < nw; i++) words[i] = words[i] | 0;
    words[nw - 1] = len * 8;
    var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var w = new Array(64);
    function rotr(x, n) { return (x >>> n) | (x << (32 - n)); }
    for (var off = 0; off < nw; off += 16) {
      for (i = 0; i < 64; i++) {
        if (i < 16) w[i] = words[off + i] | 0;
        else {
          var s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
          var s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
          w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
        }
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (i = 0; i < 64; i++) {
        var t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        var t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
    }
    return h;
  }
  function zeroBits(h, bits) {
    for (var i = 0; i < bits; i++) if ((h[i >> 5] >>> (31 - (i & 31))) & 1) return false;
    return true;
  }
  /* Finds the nonce in slices so the page stays responsive. */
  function solve(challenge, bits, done) {
    var n = 0;
    (function slice() {
      for (var end = n + 2000; n < end; n++) {
        if (zeroBits(sha256(challenge + ':' + n), bits)) return done(String(n));
      }
      setTimeout(slice, 0);
    })();
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function cookie(name) {
    var m = document.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : null;
  }
  function nonce() {
    var b = new Uint8Array(16), s = '';
    (window.crypto || window.msCrypto).getRandomValues(b);
    for (var i = 0; i < b.length; i++) s += ('0' + b[i].toString(16)).slice(-2);
    return s;
  }
  var INPUT = { text: 'text', email: 'email', tel: 'tel', date: 'date' };

  function render(host, key, def) {
    var id = 'rf-' + key.slice(0, 8) + '-';
    var form = el('form', { class: 'relatio-form', novalidate: '' });
    if (def.title) form.appendChild(el('h2', {}, def.title));
    if (def.intro) form.appendChild(el('p', { class: 'relatio-intro' }, def.intro));
    def.fields.forEach(function (f) {
      var row = el('div', { class: 'relatio-field' }), input;
      if (f.type === 'checkbox') {
        input = el('input', { type: 'checkbox', id: id + f.name, name: f.name, value: 'on' });
        row.appendChild(input);
        row.appendChild(el('label', { for: id + f.name }, f.label));
      } else {
        row.appendChild(el('label', { for: id + f.name }, f.label + (f.required ? ' *' : '')));
        if (f.type === 'textarea') input = el('textarea', { id: id + f.name, name: f.name, rows: '4' });
        else if (f.type === 'select' || f.type === 'choices') {
          input = el('select', { id: id + f.name, name: f.name });
          if (f.type === 'choices') input.multiple = true;
          else input.appendChild(el('option', { value: '' }, '—'));
          (f.options || []).forEach(function (o) { input.appendChild(el('option', { value: o }, o)); });
        } else input = el('input', { type: INPUT[f.type] || 'text', id: id + f.name, name: f.name });
        if (f.required) input.required = true;
        row.appendChild(input);
      }
      row.appendChild(el('span', { class: 'relatio-error', 'data-for': f.name, role: 'alert' }));
      form.appendChild(row);
    });
    def.consents.forEach(function (c) {
      var row = el('div', { class: 'relatio-consent' });
      var box = el('input', { type: 'checkbox', id: id + c.name, name: c.name, value: 'on' });
      if (c.required) box.required = true;
      row.appendChild(box);
      row.appendChild(el('label', { for: id + c.name }, c.wording));
      row.appendChild(el('span', { class: 'relatio-error', 'data-for': c.name, role: 'alert' }));
      form.appendChild(row);
    });
    var params = new URLSearchParams(location.search);
    def.hidden.forEach(function (h) {
      var v = params.get(h.name) || params.get('utm_' + h.name) || h.value || '';
      form.appendChild(el('input', { type: 'hidden', name: h.name, value: v }));
    });
    /* the honeypot: people do not see it, robots fill it in */
    var trap = el('div', { 'aria-hidden': 'true', style: 'position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden' });
    trap.appendChild(el('input', { type: 'text', name: '_hp', tabindex: '-1', autocomplete: 'off' }));
    form.appendChild(trap);
    var status = el('p', { class: 'relatio-status', role: 'status' });
    var button = el('button', { type: 'submit' }, def.submit_label || 'Envoyer');
    form.appendChild(button);
    form.appendChild(status);
    var id0 = nonce();

    function send(extra) {
      var body = new URLSearchParams(new FormData(form));
      body.set('_nonce', id0);
      body.set('_page', location.href.slice(0, 2000));
      var vid = cookie('relatio_vid');
      if (vid) body.set('_visitor', vid);
      for (var k in extra) body.set(k, extra[k]);
      return fetch(base + '/f/' + key, { method: 'POST', body: body, credentials: 'omit' }).then(function (r) {
        return r.json().then(function (j) { return { ok: r.ok, status: r.status, json: j }; });
      });
    }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      Array.prototype.forEach.call(form.querySelectorAll('.relatio-error'), function (s) { s.textContent = ''; });
      status.textContent = '…';
      button.disabled = true;
      var go = def.pow_bits > 0
        ? fetch(base + '/f/' + key + '/challenge', { method: 'POST', credentials: 'omit' })
          .then(function (r) { return r.json(); })
          .then(function (c) {
            return new Promise(function (resolve) {
              solve(c.challenge, c.bits, function (n) { resolve(send({ _pow: c.challenge, _pow_nonce: n })); });
            });
          })
        : send({});
      go.then(function (res) {
        button.disabled = false;
        if (res.ok) {
          form.reset();
          id0 = nonce();
          status.textContent = res.json.thanks || 'Merci ! / Thank you!';
          host.setAttribute('data-relatio-sent', res.json.submission_id);
          return;
        }
        var e = (res.json && res.json.errors && res.json.errors[0]) || null;
        var slot = e && form.querySelector('.relatio-error[data-for="' + String(e.field).replace(/"/g, '') + '"]');
        if (slot) slot.textContent = e.message;
        status.textContent = (res.json && res.json.detail) || ('Error ' + res.status);
      }, function () {
        button.disabled = false;
        status.textContent = 'Network error';
      });
    });
    host.textContent = '';
    host.appendChild(form);
  }

  function start() {
    var hosts = document.querySelectorAll('[data-relatio-form]');
    Array.prototype.forEach.call(hosts, function (host) {
      var key = host.getAttribute('data-relatio-form');
      if (!/^[0-9a-f]{32}$/.test(key || '')) return;
      fetch(base + '/f/' + key, { credentials: 'omit' })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (def) { render(host, key, def); })
        .catch(function () { host.textContent = ''; });
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
