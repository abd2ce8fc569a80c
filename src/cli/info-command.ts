import { contentPath } from '../metainfo/content-path.js';
import type { Metainfo, TorrentFile } from '../metainfo/metainfo.js';
import { formatBytes } from './format.js';

/** The object `rxtorrent info --json` prints. Paths are as they land below the download folder. */
export interface InfoJson {
  readonly infoHash: string;
  readonly name: string;
  readonly length: number;
  readonly pieceLength: number;
  readonly pieceCount: number;
  readonly files: readonly { readonly path: string; readonly length: number; readonly pad?: true }[];
  readonly announce: readonly (readonly string[])[];
  readonly private: boolean;
  readonly urlList: readonly string[];
  readonly comment?: string;
  readonly createdBy?: string;
  readonly creationDate?: string;
}

/** Where a file lands relative to the download folder: `name` or `name/dir/file`. */
export function filePath(meta: Metainfo, file: TorrentFile): string {
  return contentPath(meta, file).join('/');
}

export function infoJson(meta: Metainfo): InfoJson {
  return {
    infoHash: meta.infoHashHex,
    name: meta.name,
    length: meta.totalLength,
    pieceLength: meta.pieceLength,
    pieceCount: meta.pieceCount,
    files: meta.files.map((file) =>
      file.pad
        ? { path: filePath(meta, file), length: file.length, pad: true as const }
        : { path: filePath(meta, file), length: file.length },
    ),
    announce: meta.announce,
    private: meta.private,
    urlList: meta.urlList,
    ...(meta.comment !== undefined ? { comment: meta.comment } : {}),
    ...(meta.createdBy !== undefined ? { createdBy: meta.createdBy } : {}),
    ...(meta.creationDate !== undefined
      ? { creationDate: new Date(meta.creationDate * 1000).toISOString() }
      : {}),
  };
}

/** The human view: a header, the files as a tree with sizes, the trackers by tier. */
export function infoText(meta: Metainfo): string {
  const lines = [
    `Name:         ${meta.name}`,
    `Info hash:    ${meta.infoHashHex}`,
    `Size:         ${formatBytes(meta.totalLength)} (${meta.totalLength} bytes)`,
    `Pieces:       ${meta.pieceCount} × ${formatBytes(meta.pieceLength)}`,
    `Private:      ${meta.private ? 'yes' : 'no'}`,
  ];
  if (meta.createdBy !== undefined) lines.push(`Created by:   ${meta.createdBy}`);
  if (meta.creationDate !== undefined) {
    lines.push(`Created on:   ${new Date(meta.creationDate * 1000).toISOString()}`);
  }
  if (meta.comment !== undefined) lines.push(`Comment:      ${meta.comment}`);
  const visible = meta.files.filter((file) => !file.pad);
  lines.push('', `Files (${visible.length}):`);
  lines.push(...fileTree(meta, visible));
  lines.push('', 'Trackers:');
  if (meta.announce.length === 0) lines.push('  (none)');
  meta.announce.forEach((tier, index) => {
    lines.push(`  tier ${index + 1}: ${tier.join(', ')}`);
  });
  if (meta.urlList.length > 0) {
    lines.push('', 'Web seeds:', ...meta.urlList.map((url) => `  ${url}`));
  }
  return `${lines.join('\n')}\n`;
}

interface TreeNode {
  readonly children: Map<string, TreeNode>;
  size: number;
  isFile: boolean;
}

function fileTree(meta: Metainfo, files: readonly TorrentFile[]): string[] {
  const root: TreeNode = { children: new Map(), size: 0, isFile: false };
  for (const file of files) {
    let node = root;
    node.size += file.length;
    const segments = filePath(meta, file).split('/');
    segments.forEach((segment, index) => {
      let child = node.children.get(segment);
      if (!child) {
        child = { children: new Map(), size: 0, isFile: index === segments.length - 1 };
        node.children.set(segment, child);
      }
      child.size += file.length;
      node = child;
    });
  }
  const out: string[] = [];
  const walk = (node: TreeNode, depth: number): void => {
    for (const [name, child] of node.children) {
      const label = child.isFile ? name : `${name}/`;
      out.push(`${'  '.repeat(depth + 1)}${label}  ${formatBytes(child.size)}`);
      walk(child, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}
