// E-mail to ticket end to end with real servers: dovecot holds the support
// mailbox (IMAP), aiosmtpd receives the agents' replies (SMTP). New mail
// opens tickets, replies thread by In-Reply-To / References, the UID
// high-water mark imports nothing twice, duplicates are ignored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, cli, freePort, BIN } from './harness.mjs';
import { startDovecot, startSmtp } from './mailbox.mjs';

let srv, imap, smtp;
before(async () => {
  imap = await startDovecot();
  smtp = await startSmtp();
  srv = await startServer({ env: {
    RELATIO_NOW: '2026-11-23T10:00:00Z',
    RELATIO_IMAP_URL: imap.url, RELATIO_IMAP_USER: imap.user, RELATIO_IMAP_PASSWORD: imap.password,
    RELATIO_SMTP_URL: smtp.url, RELATIO_SUPPORT_FROM: 'Service client <support@relatio.test>',
    RELATIO_MAIL_POLL_SECONDS: '0', // fetched on demand here; the poll has its own test
  } });
});
after(async () => {
  await srv?.stop();
  await smtp?.stop();
  await imap?.stop();
});

const fetchMail = async () => {
  const r = await srv.req('POST', '/api/v1/mail/fetch');
  assert.equal(r.status, 200, JSON.stringify(r.json) + imap.log().slice(-2000));
  return r.json;
};

let ticket;
test('a new e-mail opens a ticket for the sender, decoded', async () => {
  imap.deliver(`From: =?UTF-8?Q?Ren=C3=A9e_Dupont?= <Renee.Dupont@example.fr>
To: support@relatio.test
Subject: =?UTF-8?Q?Colis_ab=C3=AEm=C3=A9?=
Message-ID: <first.1@example.fr>
Date: Mon, 23 Nov 2026 09:55:00 +0100
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Bonjour, mon colis est arriv=C3=A9 ab=C3=AEm=C3=A9.
`);
  const f = await fetchMail();
  assert.deepEqual([f.fetched, f.created, f.threaded, f.duplicates], [1, 1, 0, 0]);
  const list = await srv.req('GET', '/api/v1/tickets?status=new');
  ticket = list.json.items.find((t) => t.subject === 'Colis abîmé');
  assert.ok(ticket, JSON.stringify(list.json));
  assert.equal(ticket.channel, 'email');
  assert.equal(ticket.email_from, 'renee.dupont@example.fr');
  const g = (await srv.req('GET', `/api/v1/tickets/${ticket.id}`)).json;
  assert.equal(g.messages[0].body, 'Bonjour, mon colis est arrivé abîmé.');
  assert.equal(g.messages[0].email_message_id, '<first.1@example.fr>');
  // the sender became a customer findable by address
  const c = (await srv.req('GET', `/api/v1/customers/${ticket.customer_id}`)).json;
  assert.equal(c.email, 'renee.dupont@example.fr');
  // the high-water mark: nothing new the second time
  const again = await fetchMail();
  assert.equal(again.fetched, 0);
});

let reply;
test('an agent reply goes out over SMTP threaded under the customer’s mail', async () => {
  const r = await srv.req('POST', `/api/v1/tickets/${ticket.id}/messages`, { body: 'Nous vous envoyons un nouveau colis.', status: 'waiting' });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  reply = r.json.messages.at(-1);
  assert.equal(reply.delivery, 'sent', JSON.stringify(reply));
  const sent = smtp.messages();
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0].to, ['renee.dupont@example.fr']);
  assert.equal(sent[0].message_id, reply.email_message_id);
  assert.match(sent[0].subject, new RegExp(`\\[#${ticket.id}\\] Colis abîmé`));
  assert.match(sent[0].data, /In-Reply-To: <first\.1@example\.fr>/);
  assert.match(sent[0].data, /nouveau colis/);
  // an internal note is never mailed
  await srv.req('POST', `/api/v1/tickets/${ticket.id}/messages`, { body: 'note interne', internal: true });
  assert.equal(smtp.messages().length, 1);
});

test('the customer’s answer threads onto the ticket and reopens it', async () => {
  imap.deliver(`From: Renee Dupont <renee.dupont@example.fr>
To: support@relatio.test
Subject: Re: [#${ticket.id}] Colis abimé
Message-ID: <second.2@example.fr>
In-Reply-To: ${reply.email_message_id}
References: <first.1@example.fr> ${reply.email_message_id}
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

TWVyY2kgYmVhdWNvdXAgIQ==
--b1
Content-Type: text/html; charset=utf-8

<p>Merci beaucoup !</p>
--b1--
`);
  // a copy of the first mail (same Message-ID) lands again: ignored
  imap.deliver(`From: renee.dupont@example.fr
Subject: Colis
Message-ID: <first.1@example.fr>

dup
`);
  const f = await fetchMail();
  assert.deepEqual([f.fetched, f.created, f.threaded, f.duplicates], [2, 0, 1, 1]);
  const g = (await srv.req('GET', `/api/v1/tickets/${ticket.id}`)).json;
  assert.equal(g.status, 'open', 'a customer answer ends the wait');
  assert.equal(g.messages.at(-1).body, 'Merci beaucoup !');
  assert.equal(g.messages.at(-1).direction, 'inbound');
  assert.equal(g.messages.length, 4);
});

test('relatio mail fetch (CLI) shares the high-water mark; malformed mail is skipped', async () => {
  imap.deliver(`From: paul@example.com
Subject: Autre demande
Message-ID: <third.3@example.com>
References: <unknown@nowhere>

Une autre question.
`);
  imap.deliver('this is not an e-mail at all\n\njust text\n');
  const env = { RELATIO_IMAP_URL: imap.url, RELATIO_IMAP_USER: imap.user, RELATIO_IMAP_PASSWORD: imap.password, RELATIO_NOW: '2026-11-23T11:00:00Z' };
  const r = cli(['mail', 'fetch', '--db', srv.db, '--json'], { env });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual([out.fetched, out.created, out.skipped], [2, 1, 1]);
  assert.equal(JSON.parse(cli(['mail', 'fetch', '--db', srv.db, '--json'], { env }).stdout).fetched, 0);
  const list = (await srv.req('GET', '/api/v1/tickets?limit=500')).json.items;
  assert.ok(list.some((t) => t.subject === 'Autre demande' && t.email_from === 'paul@example.com'));
  // a wrong password is a clear error, not a crash
  const bad = cli(['mail', 'fetch', '--db', srv.db], { env: { ...env, RELATIO_IMAP_PASSWORD: 'nope' } });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /imap/i);
  const none = cli(['mail', 'fetch', '--db', srv.db], { env: { RELATIO_IMAP_URL: '' } });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /RELATIO_IMAP_URL/);
});

test('serve polls the mailbox by itself when RELATIO_MAIL_POLL_SECONDS is set', { timeout: 60000 }, async () => {
  const port = await freePort();
  const env = { ...process.env, RELATIO_PWHASH: 'fast', RELATIO_LOG: 'warn', RELATIO_IMAP_URL: imap.url, RELATIO_IMAP_USER: imap.user, RELATIO_IMAP_PASSWORD: imap.password, RELATIO_MAIL_POLL_SECONDS: '1', RELATIO_SLA_SWEEP_SECONDS: '1' };
  const proc = spawn(BIN, ['serve', '--db', srv.db, '--port', String(port), '--bind', '127.0.0.1'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  try {
    imap.deliver(`From: zoe@example.fr
Subject: Relance automatique
Message-ID: <poll.4@example.fr>

Toujours en attente.
`);
    let found = null;
    for (let i = 0; i < 200 && !found; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const list = (await srv.req('GET', '/api/v1/tickets?limit=500')).json.items;
      found = list.find((t) => t.subject === 'Relance automatique');
    }
    assert.ok(found, `the poll imported the message: ${stderr}`);
    assert.equal(found.email_from, 'zoe@example.fr');
  } finally {
    proc.kill('SIGTERM');
    assert.equal(await exited, 0, stderr.slice(-3000));
  }
});
