// Writes a CSV of N French customers with about 2 % known duplicates (typos,
// swapped names, lost accents, another e-mail, a move) and relatives
// sharing an address: the input of bench/quality.sh. The external id
// "P<identity>-<k>" tells which records are one person.
//   node bench/people.mjs N > people.csv
const N = Number(process.argv[2] || 1000000);
let seed = 42; // mulberry32: the low bits of a plain LCG repeat too soon
const rnd = (n) => {
  seed = (seed + 0x6D2B79F5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) % n;
};
const firsts = ['Jean', 'Marie', 'Pierre', 'Michel', 'André', 'Philippe', 'Nathalie', 'Isabelle', 'Hélène', 'François', 'Sylvie', 'Catherine', 'Frédéric', 'Stéphane', 'Céline', 'Anne', 'Jérôme', 'Sébastien', 'Émilie', 'Aurélie', 'Nicolas', 'Julien', 'Camille', 'Léa', 'Chloé', 'Inès', 'Louis', 'Gabriel', 'Raphaël', 'Arthur', 'Zoé', 'Maël', 'Benoît', 'Thérèse', 'Agnès', 'Noël', 'Loïc', 'Gaëlle', 'Anaïs', 'Joël', 'Manon', 'Lucas', 'Hugo', 'Jade', 'Emma', 'Théo', 'Nathan', 'Sarah', 'Clara', 'Paul'];
const lastsA = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier', 'Morel', 'Girard', 'André', 'Mercier', 'Dupont', 'Lambert', 'Bonnet', 'François', 'Martinez', 'Légaré', 'Gauthier', 'Chevalier', 'Rousseau', 'Blanc', 'Guérin', 'Muller', 'Faure', 'Perrin', 'Mathieu', 'Clément'];
const syl = ['ba', 'bo', 'ch', 'de', 'du', 'fa', 'ga', 'gi', 'la', 'le', 'li', 'ma', 'me', 'mo', 'na', 'ne', 'pa', 'pe', 'ra', 're', 'ri', 'ro', 'sa', 'se', 'ta', 'te', 'va', 'vi'];
const ends = ['rd', 'ux', 'in', 'on', 'et', 'ot', 'ier', 'and', 'ard', 'eau', 'el', 'ès'];
const surname = () => (rnd(3) === 0 ? lastsA[rnd(lastsA.length)]
  : (s => s[0].toUpperCase() + s.slice(1))(syl[rnd(syl.length)] + syl[rnd(syl.length)] + ends[rnd(ends.length)]));
const fold = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
const typo = (s) => {
  if (s.length < 4) return s;
  const i = 1 + rnd(s.length - 2); const c = 'abcdefghijklmnopqrstuvwxyz'[rnd(26)];
  switch (rnd(4)) {
    case 0: return s.slice(0, i) + c + s.slice(i + 1);
    case 1: return s.slice(0, i) + s.slice(i + 1);
    case 2: return s.slice(0, i) + c + s.slice(i);
    default: return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
  }
};
const pcs = Array.from({ length: 2000 }, (_, i) => String(1000 + i * 47).padStart(5, '0'));
const person = (id) => {
  const pc = rnd(pcs.length);
  return { id, first: firsts[rnd(firsts.length)], last: surname(), email: `c${id}@mail${rnd(7)}.fr`,
    phone: `06${String(rnd(100000000)).padStart(8, '0')}`, postal: pcs[pc], city: `Ville ${pc}`,
    street: `${1 + rnd(150)} rue ${surname()}`, birth: `${1940 + rnd(65)}-${String(1 + rnd(12)).padStart(2, '0')}-${String(1 + rnd(28)).padStart(2, '0')}` };
};
const out = [];
const flush = () => { process.stdout.write(out.join('')); out.length = 0; };
const line = (p, ext) => `${ext},${p.first},${p.last},${p.email},${p.phone},${p.street},${p.postal},${p.city},FR,${p.birth}\n`;
out.push('external_id,first_name,last_name,email,phone,line1,postal_code,city,country,birth_date\n');
const base = [];
let written = 0, identity = 0;
while (written < N) {
  const r = rnd(100);
  if (r < 2 && base.length) { // a duplicate of someone seen
    const p = { ...base[rnd(base.length)] };
    p.first = fold(p.first); p.last = fold(p.last);
    const k = rnd(100);
    if (k < 40) { if (rnd(2)) p.last = typo(p.last); else p.first = typo(p.first); }
    else if (k < 55) [p.first, p.last] = [p.last, p.first];
    const e = rnd(100);
    if (e < 30) p.email = ''; else if (e < 50) p.email = `other${p.id}@mail9.fr`;
    if (rnd(2)) p.phone = `+33 ${p.phone.slice(1, 2)} ${p.phone.slice(2, 4)} ${p.phone.slice(4, 6)} ${p.phone.slice(6, 8)} ${p.phone.slice(8)}`; else p.phone = '';
    if (rnd(100) < 40) p.birth = '';
    if (rnd(100) < 15) { const q = person(0); p.postal = q.postal; p.city = q.city; p.street = q.street; }
    out.push(line(p, `P${p.id}-d${written}`));
  } else if (r < 4 && base.length) { // a relative at the same address
    const p = base[rnd(base.length)];
    const q = person(++identity);
    let first = q.first; while (first === p.first) first = firsts[rnd(firsts.length)];
    const rel = { ...p, id: identity, first, birth: q.birth, email: q.email };
    out.push(line(rel, `P${identity}-0`));
  } else {
    const p = person(++identity);
    if (base.length < 200000) base.push(p); else base[rnd(base.length)] = p;
    out.push(line(p, `P${identity}-0`));
  }
  written++;
  if (out.length >= 10000) flush();
}
flush();
