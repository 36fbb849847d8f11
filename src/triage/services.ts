import { microsoftServices, type ServiceDefinition } from './microsoft-services.js';
import { type MatchText, normaliseForMatch } from './text-match.js';

// The service catalogue: the services Microsoft publishes incidents for, the aliases admins added, and any
// service an incident or service health named that the catalogue did not know (matched by its own name).
// Finding the services a text names is one pass over its words plus one substring search per Japanese alias.

export interface ServiceEntry {
  id: string;
  name: string;
  nameJa: string;
  aliases: readonly string[];
  cased: readonly string[];
  graph: readonly string[];
  /** Aliases admins added. */
  custom: readonly string[];
  /** Known only from an incident or service health, not shipped with the product. */
  discovered: boolean;
}

export interface ServiceMention {
  id: string;
  matched: string;
}

export interface CustomAlias {
  serviceId: string;
  alias: string;
}

export interface CatalogueSource {
  definitions: readonly ServiceDefinition[];
  customAliases: readonly CustomAlias[];
  discoveredNames: readonly string[];
}

const cjk = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/;
const wordRe = /[a-z0-9]+/g;
const casedWordRe = /[A-Za-z0-9]+/g;
const MAX_ALIAS_WORDS = 6;

/** The key an alias or name is looked up by: lower-case words joined by one space ("Power-BI" → "power bi"). */
export function aliasKey(alias: string): string {
  const n = normaliseForMatch(alias);
  return cjk.test(n) ? n.replace(/ /g, '') : (n.match(wordRe) ?? []).join(' ');
}

/** The id a service the catalogue does not ship gets from its name: the same name always gives the same id. */
export function discoveredServiceId(name: string): string {
  return `svc-${(normaliseForMatch(name).match(/[\p{L}\p{N}]+/gu) ?? ['unnamed']).join('-').slice(0, 60)}`;
}

interface Target {
  id: string;
  alias: string;
}

export class ServiceCatalogue {
  private readonly byId = new Map<string, ServiceEntry>();
  private readonly words = new Map<string, Target>();
  private readonly casedWords = new Map<string, Target>();
  private readonly prefixes = new Set<string>();
  private readonly japanese: Array<Target & { key: string }> = [];
  private readonly names = new Map<string, ServiceEntry>();
  private readonly withNames = new Map<string, ServiceCatalogue>();
  /** What the catalogue was made of, to make it again elsewhere (a dry-run thread). */
  private readonly made: CatalogueSource;

  constructor(
    definitions: readonly ServiceDefinition[],
    customAliases: readonly CustomAlias[] = [],
    discoveredNames: readonly string[] = [],
  ) {
    this.made = { definitions, customAliases, discoveredNames };
    for (const d of definitions)
      this.add({ ...d, cased: d.cased ?? [], graph: d.graph ?? [], custom: [], discovered: false });
    // Admins' aliases come before the services an incident names, so an incident called "Mail" cannot take
    // a word an admin gave to Exchange; aliases of such services come after them.
    for (const a of customAliases) if (this.byId.has(a.serviceId)) this.addCustomAlias(a);
    for (const name of discoveredNames) this.discover(name);
    for (const a of customAliases)
      if (!this.byId.get(a.serviceId)?.custom.includes(a.alias)) this.addCustomAlias(a);
  }

  /** What `new ServiceCatalogue(...source)` makes this catalogue from: plain data, for another thread. */
  get source(): CatalogueSource {
    return this.made;
  }

  get entries(): ServiceEntry[] {
    return [...this.byId.values()];
  }

  byServiceId(id: string): ServiceEntry | undefined {
    return this.byId.get(id);
  }

  /** The service an alias already points at, if any. */
  aliasOwner(alias: string): string | null {
    const key = aliasKey(alias);
    return (
      this.words.get(key)?.id ??
      this.japanese.find((j) => j.key === key)?.id ??
      this.casedWords.get((alias.match(casedWordRe) ?? []).join(' '))?.id ??
      null
    );
  }

  /**
   * The entry a name is, exactly: its id, display name, Graph id or one of its aliases. "Microsoft Teams Rooms
   * Pro" is not Teams: a name that only mentions a service is a service of its own.
   */
  forName(name: string): ServiceEntry | null {
    const exact = this.names.get(aliasKey(name)) ?? this.names.get(name.trim().toLowerCase());
    if (exact) return exact;
    const owner = this.aliasOwner(name);
    return owner ? (this.byId.get(owner) ?? null) : null;
  }

  /** This catalogue plus the given names as services of their own where it does not know them already. */
  including(names: readonly string[]): ServiceCatalogue {
    const unknown = [...new Set(names)].filter((n) => !this.forName(n));
    if (!unknown.length) return this;
    const key = unknown.sort().join('\n');
    let extended = this.withNames.get(key);
    if (!extended) {
      extended = this.copyWith(unknown);
      if (this.withNames.size > 100) this.withNames.clear();
      this.withNames.set(key, extended);
    }
    return extended;
  }

  /** The services the text names, in the order their words first appear, each with the word that named it. */
  mentioned(text: MatchText): ServiceMention[] {
    const out: ServiceMention[] = [];
    const seen = new Set<string>();
    const push = (t: Target) => {
      if (seen.has(t.id)) return;
      seen.add(t.id);
      out.push({ id: t.id, matched: t.alias });
    };
    scanWords(text.plain.match(wordRe) ?? [], this.words, this.prefixes, push);
    if (this.casedWords.size && text.cased)
      scanWords(text.cased.match(casedWordRe) ?? [], this.casedWords, this.prefixes, push);
    for (const j of this.japanese) if (!seen.has(j.id) && text.compact.includes(j.key)) push(j);
    return out;
  }

  private copyWith(extraNames: readonly string[]): ServiceCatalogue {
    const { definitions, customAliases, discoveredNames } = this.made;
    return new ServiceCatalogue(definitions, customAliases, [...discoveredNames, ...extraNames]);
  }

  private discover(name: string): void {
    if (this.forName(name)) return;
    const written = name.normalize('NFKC').replace(/\s+/g, ' ').trim();
    // "Microsoft Places" is also "Places", but only with its capital: "places" is an everyday word. A name
    // of one short word ("Mail") is listed but matches nothing until an admin gives it an alias.
    const short = written.replace(/^(?:Microsoft|MS) /i, '');
    const full = normaliseForMatch(name);
    const distinctive =
      full.includes(' ') || full.length >= 8 || /[\u3040-\u30ff\u3400-\u9fff]{2}/.test(full);
    this.add({
      id: discoveredServiceId(name),
      name: name.trim(),
      nameJa: name.trim(),
      aliases: distinctive ? [full] : [],
      cased: short !== written && short.length >= 4 && /^[A-Z]/.test(short) ? [short] : [],
      graph: [],
      custom: [],
      discovered: true,
    });
  }

  private addCustomAlias(a: CustomAlias): void {
    const entry = this.byId.get(a.serviceId);
    if (!entry || this.aliasOwner(a.alias)) return;
    const updated = { ...entry, custom: [...entry.custom, a.alias] };
    this.byId.set(entry.id, updated);
    this.index(updated.id, a.alias);
  }

  private add(entry: ServiceEntry): void {
    if (this.byId.has(entry.id)) return;
    this.byId.set(entry.id, entry);
    for (const n of [entry.id, entry.name, entry.nameJa, ...entry.graph]) {
      if (!this.names.has(aliasKey(n))) this.names.set(aliasKey(n), entry);
      this.names.set(n.toLowerCase(), entry);
    }
    for (const alias of entry.aliases) this.index(entry.id, alias);
    for (const alias of entry.cased) {
      const key = (alias.match(casedWordRe) ?? []).join(' ');
      if (!this.casedWords.has(key)) this.casedWords.set(key, { id: entry.id, alias });
      addPrefixes(this.prefixes, key);
    }
  }

  private index(id: string, alias: string): void {
    const key = aliasKey(alias);
    if (!key) return;
    if (cjk.test(key)) {
      if (!this.japanese.some((j) => j.key === key)) this.japanese.push({ id, alias, key });
    } else if (!this.words.has(key)) {
      this.words.set(key, { id, alias });
      addPrefixes(this.prefixes, key);
    }
  }
}

/** The words an alias of several words starts with ("azure", "azure virtual" for "azure virtual desktop"). */
function addPrefixes(prefixes: Set<string>, key: string): void {
  const words = key.split(' ');
  for (let n = 1; n < words.length; n++) prefixes.add(words.slice(0, n).join(' '));
}

/** At each word, the longest alias starting there ("azure virtual desktop" before "azure"). */
function scanWords(
  tokens: string[],
  aliases: Map<string, Target>,
  prefixes: ReadonlySet<string>,
  push: (t: Target) => void,
): void {
  for (let i = 0; i < tokens.length; i++) {
    let phrase = tokens[i]!;
    let found: { t: Target; n: number } | null = null;
    for (let n = 1; n <= MAX_ALIAS_WORDS && i + n <= tokens.length; n++) {
      if (n > 1) phrase = `${phrase} ${tokens[i + n - 1]}`;
      const t = aliases.get(phrase);
      if (t) found = { t, n };
      if (!prefixes.has(phrase)) break;
    }
    if (found) {
      push(found.t);
      i += found.n - 1;
    }
  }
}

/** The catalogue as shipped, before any admin alias. */
export const builtInCatalogue = new ServiceCatalogue(microsoftServices);

/** The service id stored with an incident: the catalogue's entry for its name, else one made from the name. */
export function serviceIdForName(name: string): string {
  return builtInCatalogue.forName(name)?.id ?? discoveredServiceId(name);
}
