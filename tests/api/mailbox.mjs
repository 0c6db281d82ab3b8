// Test fixtures for the support mailbox: Debian's dovecot (IMAP) run as a
// private instance on a free loopback port with its own config, state and
// Maildir under a temp dir (no system service, no root needed; when run as
// root the mail files belong to "nobody", as dovecot refuses uid 0), and an
// SMTP sink (aiosmtpd with tests/smtp_sink.py) that records what is sent.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './harness.mjs';

const DOVECOT = '/usr/sbin/dovecot';

async function waitPort(port, what, log) {
  for (let i = 0; ; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (i > 200) throw new Error(`${what} did not start: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startDovecot({ user = 'support', password = 'secret' } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relatio-imap-'));
  const port = await freePort();
  const root = process.getuid() === 0;
  const ids = (name) => {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
    return line ? { uid: Number(line.split(':')[2]), gid: Number(line.split(':')[3]) } : null;
  };
  const me = os.userInfo();
  const mailUser = root ? 'nobody' : me.username;
  const mailIds = root ? ids('nobody') : { uid: me.uid, gid: me.gid };
  // internal and login processes: dovecot's own users when root, else us
  const internal = root ? 'dovecot' : me.username;
  const login = root ? 'dovenull' : me.username;
  for (const d of ['run', 'state', 'home', `mail/${user}/new`, `mail/${user}/cur`, `mail/${user}/tmp`]) mkdirSync(path.join(dir, d), { recursive: true });
  writeFileSync(path.join(dir, 'passwd'), `${user}:{PLAIN}${password}\n`);
  const conf = `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = ${internal}
default_login_user = ${login}
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${mailIds.uid} gid=${mailIds.gid} home=${dir}/home/%u
}
mail_location = maildir:${dir}/mail/%u
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
`;
  writeFileSync(path.join(dir, 'dovecot.conf'), conf);
  const own = (p) => { if (root) chownSync(p, mailIds.uid, mailIds.gid); };
  chmodSync(dir, 0o755); // dovecot's own users must reach run/ and the Maildir
  if (root) {
    for (const d of ['home', 'mail', `mail/${user}`, `mail/${user}/new`, `mail/${user}/cur`, `mail/${user}/tmp`]) own(path.join(dir, d));
  }
  const proc = spawn(DOVECOT, ['-F', '-c', path.join(dir, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => proc.once('exit', r));
  await waitPort(port, 'dovecot', () => stderr + (existsSync(`${dir}/dovecot.log`) ? readFileSync(`${dir}/dovecot.log`, 'utf8') : ''));
  let n = 0;
  return {
    url: `imap://127.0.0.1:${port}/INBOX`, user, password, dir, mailUser,
    /** Delivers a raw RFC 5322 message into the mailbox (Maildir new/). */
    deliver(raw) {
      const name = `${Date.now()}.${process.pid}_${++n}.relatio`;
      const tmp = path.join(dir, 'mail', user, 'tmp', name);
      writeFileSync(tmp, raw.replace(/\r?\n/g, '\r\n'));
      own(tmp);
      renameSync(tmp, path.join(dir, 'mail', user, 'new', name));
    },
    log() { return existsSync(`${dir}/dovecot.log`) ? readFileSync(`${dir}/dovecot.log`, 'utf8') : ''; },
    async stop() {
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startSmtp() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relatio-smtp-'));
  const out = path.join(dir, 'mail.jsonl');
  const port = await freePort();
  const proc = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'smtp_sink.Sink', out],
    { env: { ...process.env, PYTHONPATH: path.resolve('tests') }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => proc.once('exit', r));
  await waitPort(port, 'aiosmtpd', () => stderr);
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages() {
      return existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
    },
    async stop() {
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
