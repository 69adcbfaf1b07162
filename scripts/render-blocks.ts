/** Block Kit as plain text, for the demo transcript: what a person would see in Slack. */
type Block = Record<string, any>;

const strip = (text: string) => text.replace(/<#(\w+)>/g, '#$1').replace(/<@(\w+)>/g, '@$1');

export function renderBlocks(blocks: Block[] = [], indent = '  '): string {
  const lines: string[] = [];
  for (const block of blocks) {
    switch (block.type) {
      case 'header':
        lines.push(`== ${block.text.text} ==`);
        break;
      case 'section':
        lines.push(...strip(block.text?.text ?? '').split('\n'));
        break;
      case 'context':
        lines.push(...block.elements.map((e: Block) => `  (${strip(e.text ?? '')})`));
        break;
      case 'divider':
        lines.push('----');
        break;
      case 'input': {
        const el = block.element;
        const initial = el.initial_value ?? el.initial_conversation ?? '';
        lines.push(`[${block.label.text}${block.optional ? ' (optional)' : ''}] ${initial ? `"${initial}"` : '____'}`);
        break;
      }
      case 'actions':
        lines.push(block.elements.map((e: Block) => `[ ${e.text.text} ]${e.url ? ` -> ${e.url}` : ''}`).join('  '));
        break;
    }
  }
  return lines.map((l) => `${indent}${l}`).join('\n');
}

export function renderModal(view: Block): string {
  const buttons = [view.submit?.text, view.close?.text].filter(Boolean).map((t: string) => `[ ${t} ]`).join('  ');
  return [`  ┌─ ${view.title.text} ─`, renderBlocks(view.blocks, '  │ '), `  └─ ${buttons}`].join('\n');
}
