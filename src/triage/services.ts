import { firstKeyword, type MatchText } from './text-match.js';

// Microsoft services as customers name them (en and ja, with common aliases), so that "Outlook が開かない"
// and "Exchange Online down" both point at Exchange Online. Incidents name a service the same way.

export interface ServiceEntry {
  id: string;
  name: string;
  aliases: readonly string[];
}

export const serviceDictionary: readonly ServiceEntry[] = [
  {
    id: 'exchange',
    name: 'Exchange Online',
    aliases: [
      'exchange online',
      'exchange',
      'outlook on the web',
      'outlook web',
      'owa',
      'outlook',
      'mailbox',
      'エクスチェンジ',
      'アウトルック',
      'メールボックス',
      'メール',
    ],
  },
  {
    id: 'teams',
    name: 'Microsoft Teams',
    aliases: ['microsoft teams', 'teams', 'チームズ', 'チームス'],
  },
  {
    id: 'sharepoint',
    name: 'SharePoint Online',
    aliases: ['sharepoint online', 'sharepoint', 'share point', 'シェアポイント', 'シェアポ'],
  },
  { id: 'onedrive', name: 'OneDrive for Business', aliases: ['onedrive', 'one drive', 'ワンドライブ'] },
  {
    id: 'entra',
    name: 'Microsoft Entra ID',
    aliases: [
      'entra id',
      'microsoft entra',
      'entra',
      'azure active directory',
      'azure ad',
      'aad',
      'エントラ',
    ],
  },
  { id: 'intune', name: 'Microsoft Intune', aliases: ['intune', 'インチューン'] },
  { id: 'powerbi', name: 'Power BI', aliases: ['power bi', 'powerbi', 'パワーbi'] },
  {
    id: 'm365apps',
    name: 'Microsoft 365 Apps',
    aliases: ['microsoft 365 apps', 'office 365 apps', 'word', 'excel', 'powerpoint', 'ワード', 'エクセル'],
  },
  {
    id: 'm365portal',
    name: 'Microsoft 365 admin center',
    aliases: ['admin center', 'admin centre', '管理センター', 'microsoft 365 管理'],
  },
  {
    id: 'azure-vm',
    name: 'Azure Virtual Machines',
    aliases: ['azure virtual machine', 'azure vm', '仮想マシン'],
  },
  {
    id: 'azure-storage',
    name: 'Azure Storage',
    aliases: ['azure storage', 'blob storage', 'ストレージアカウント'],
  },
  { id: 'azure-sql', name: 'Azure SQL Database', aliases: ['azure sql', 'sql database'] },
  { id: 'azure-portal', name: 'Azure portal', aliases: ['azure portal', 'azure ポータル', 'azureポータル'] },
  { id: 'azure', name: 'Microsoft Azure', aliases: ['azure', 'アジュール'] },
];

const byId = new Map(serviceDictionary.map((s) => [s.id, s]));

export function serviceById(id: string): ServiceEntry | undefined {
  return byId.get(id);
}

/** The dictionary entry an incident's service name refers to (exact name, then any alias); null if unknown. */
export function serviceForName(name: string): ServiceEntry | null {
  const n = name.normalize('NFKC').toLowerCase().trim();
  for (const s of serviceDictionary) if (s.name.toLowerCase() === n || s.id === n) return s;
  for (const s of serviceDictionary) if (s.aliases.includes(n)) return s;
  for (const s of serviceDictionary) if (s.aliases.some((a) => n.includes(a))) return s;
  return null;
}

/** Services the text mentions, each with the word that named it. */
export function servicesMentioned(text: MatchText): Array<{ id: string; matched: string }> {
  const out: Array<{ id: string; matched: string }> = [];
  for (const s of serviceDictionary) {
    const matched = firstKeyword(text, s.aliases);
    if (matched) out.push({ id: s.id, matched });
  }
  return out;
}
