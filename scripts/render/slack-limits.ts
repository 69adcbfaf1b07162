/**
 * Slack's size limits on a surface, checked over the JSON a builder made: Slack refuses the whole
 * view or message when one is passed (`invalid_blocks`), so a surface the pictures show must
 * stay inside every one. Each problem names where it is (`blocks[3].elements[0].text`).
 */
import type { Json, RenderInput } from './block-kit-html.js';

export const LIMITS = {
  blocks: { message: 50, modal: 100, home: 100 },
  sectionText: 3000,
  fieldCount: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  optionText: 75,
  optionValue: 150,
  optionDescription: 75,
  options: 100,
  placeholder: 150,
  inputLabel: 2000,
  inputHint: 2000,
  inputMaxLength: 3000,
  blockId: 255,
  actionId: 255,
  callbackId: 255,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

type Report = (path: string, what: string, length: number, limit: number) => void;

const textOf = (obj: unknown): string => (obj && typeof obj === 'object' && typeof (obj as Json).text === 'string' ? (obj as Json).text : '');
const items = (value: unknown): Json[] => (Array.isArray(value) ? value : []);

function checkLength(report: Report, path: string, what: string, text: unknown, limit: number): void {
  if (typeof text === 'string' && text.length > limit) report(path, what, text.length, limit);
}

function checkOption(report: Report, path: string, option: Json): void {
  checkLength(report, `${path}.text`, 'option text', textOf(option.text), LIMITS.optionText);
  checkLength(report, `${path}.value`, 'option value', option.value, LIMITS.optionValue);
  if (option.description) checkLength(report, `${path}.description`, 'option description', textOf(option.description), LIMITS.optionDescription);
}

function checkConfirm(report: Report, path: string, confirm: Json): void {
  checkLength(report, `${path}.title`, 'confirm title', textOf(confirm.title), LIMITS.confirmTitle);
  checkLength(report, `${path}.text`, 'confirm text', textOf(confirm.text), LIMITS.confirmText);
  checkLength(report, `${path}.confirm`, 'confirm button', textOf(confirm.confirm), LIMITS.confirmButton);
  checkLength(report, `${path}.deny`, 'deny button', textOf(confirm.deny), LIMITS.confirmButton);
}

function checkElement(report: Report, path: string, el: Json): void {
  checkLength(report, `${path}.action_id`, 'action_id', el.action_id, LIMITS.actionId);
  if (el.placeholder) checkLength(report, `${path}.placeholder`, 'placeholder', textOf(el.placeholder), LIMITS.placeholder);
  if (el.confirm) checkConfirm(report, `${path}.confirm`, el.confirm);
  if (el.type === 'button') {
    checkLength(report, `${path}.text`, 'button text', textOf(el.text), LIMITS.buttonText);
    checkLength(report, `${path}.value`, 'button value', el.value, LIMITS.buttonValue);
    checkLength(report, `${path}.url`, 'button url', el.url, LIMITS.url);
  }
  if (typeof el.max_length === 'number' && el.max_length > LIMITS.inputMaxLength) report(`${path}.max_length`, 'input max_length', el.max_length, LIMITS.inputMaxLength);
  const options = items(el.options);
  if (options.length > LIMITS.options) report(`${path}.options`, 'options', options.length, LIMITS.options);
  options.forEach((o, i) => checkOption(report, `${path}.options[${i}]`, o));
  items(el.option_groups).forEach((g, gi) => items(g.options).forEach((o, i) => checkOption(report, `${path}.option_groups[${gi}].options[${i}]`, o)));
  if (el.initial_option) checkOption(report, `${path}.initial_option`, el.initial_option);
  items(el.initial_options).forEach((o, i) => checkOption(report, `${path}.initial_options[${i}]`, o));
}

function checkBlock(report: Report, path: string, block: Json): void {
  checkLength(report, `${path}.block_id`, 'block_id', block.block_id, LIMITS.blockId);
  switch (block.type) {
    case 'section': {
      checkLength(report, `${path}.text`, 'section text', textOf(block.text), LIMITS.sectionText);
      const fields = items(block.fields);
      if (fields.length > LIMITS.fieldCount) report(`${path}.fields`, 'fields', fields.length, LIMITS.fieldCount);
      fields.forEach((f, i) => checkLength(report, `${path}.fields[${i}]`, 'field text', textOf(f), LIMITS.fieldText));
      if (block.accessory) checkElement(report, `${path}.accessory`, block.accessory);
      break;
    }
    case 'header':
      checkLength(report, `${path}.text`, 'header text', textOf(block.text), LIMITS.headerText);
      break;
    case 'context': {
      const elements = items(block.elements);
      if (elements.length > LIMITS.contextElements) report(`${path}.elements`, 'context elements', elements.length, LIMITS.contextElements);
      elements.forEach((e, i) => checkLength(report, `${path}.elements[${i}]`, 'context text', textOf(e), LIMITS.contextText));
      break;
    }
    case 'actions': {
      const elements = items(block.elements);
      if (elements.length > LIMITS.actionsElements) report(`${path}.elements`, 'actions elements', elements.length, LIMITS.actionsElements);
      elements.forEach((e, i) => checkElement(report, `${path}.elements[${i}]`, e));
      break;
    }
    case 'input':
      checkLength(report, `${path}.label`, 'input label', textOf(block.label), LIMITS.inputLabel);
      if (block.hint) checkLength(report, `${path}.hint`, 'input hint', textOf(block.hint), LIMITS.inputHint);
      if (block.element) checkElement(report, `${path}.element`, block.element);
      break;
  }
}

/** Every limit a surface passes, as readable lines; empty when Slack would take it. */
export function limitProblems(input: RenderInput): string[] {
  const problems: string[] = [];
  const report: Report = (path, what, length, limit) => problems.push(`${path}: ${what} is ${length}, Slack takes at most ${limit}`);
  const blocks = input.kind === 'message' ? input.blocks : items(input.view.blocks);
  if (blocks.length > LIMITS.blocks[input.kind]) report('blocks', `${input.kind} blocks`, blocks.length, LIMITS.blocks[input.kind]);
  if (input.kind !== 'message') {
    const view = input.view;
    checkLength(report, 'callback_id', 'callback_id', view.callback_id, LIMITS.callbackId);
    checkLength(report, 'private_metadata', 'private_metadata', view.private_metadata, LIMITS.privateMetadata);
    if (input.kind === 'modal') {
      checkLength(report, 'title', 'modal title', textOf(view.title), LIMITS.modalTitle);
      checkLength(report, 'submit', 'modal submit', textOf(view.submit), LIMITS.modalButton);
      checkLength(report, 'close', 'modal close', textOf(view.close), LIMITS.modalButton);
    }
  }
  blocks.forEach((block, i) => checkBlock(report, `blocks[${i}]`, block));
  return problems;
}
