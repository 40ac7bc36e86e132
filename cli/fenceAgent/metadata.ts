import { parameters } from './options.ts';

export const agentActions = [
  'on',
  'off',
  'reboot',
  'status',
  'monitor',
  'list',
  'list-status',
  'metadata',
  'validate-all',
] as const;
export type AgentAction = (typeof agentActions)[number];

const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The agent's self-description, in the resource-agent metadata format Pacemaker reads. */
export function metadataXml(): string {
  const lines = [
    '<?xml version="1.0" ?>',
    '<resource-agent name="fence_fencer" shortdesc="Fence agent for Fencer (central, verified, audited fencing)">',
    "<longdesc>fence_fencer asks a Fencer service to fence a node: the report is signed with this node's key, Fencer's arbiter decides (one survivor in a split brain, one fence per incident, storm guard), fences through the node's levels and answers only once the node is verified off.</longdesc>",
    '<vendor-url>https://github.com/fencer</vendor-url>',
    '<parameters>',
  ];
  for (const p of parameters) {
    const content =
      p.default === undefined
        ? `<content type="${p.type}" />`
        : `<content type="${p.type}" default="${xmlEscape(p.default)}" />`;
    lines.push(
      `\t<parameter name="${p.name}" unique="0" required="${p.required ? 1 : 0}">`,
      `\t\t<getopt mixed="${xmlEscape(p.getopt)}" />`,
      `\t\t${content}`,
      `\t\t<shortdesc lang="en">${xmlEscape(p.shortdesc)}</shortdesc>`,
      '\t</parameter>',
    );
    for (const alias of p.aliases ?? []) {
      lines.push(
        `\t<parameter name="${alias}" unique="0" required="0" deprecated="1">`,
        `\t\t<getopt mixed="--${alias}=[node]" />`,
        `\t\t<content type="${p.type}" />`,
        `\t\t<shortdesc lang="en">${xmlEscape(p.shortdesc)} (same as ${p.name})</shortdesc>`,
        '\t</parameter>',
      );
    }
  }
  lines.push('</parameters>', '<actions>');
  for (const action of agentActions)
    lines.push(
      action === 'on' ? '\t<action name="on" automatic="0"/>' : `\t<action name="${action}" />`,
    );
  lines.push('</actions>', '</resource-agent>');
  return `${lines.join('\n')}\n`;
}
