// Block Kit's limits, as Slack enforces them on what an app sends (docs.slack.dev
// reference: blocks, block elements, composition objects, views, chat.postMessage).
// blockKitProblems() lists every breach as a sentence; the Slack API stand-in runs
// it on every message and view it receives and refuses the call like Slack would.

export type Surface = 'message' | 'modal' | 'home';

type Obj = Record<string, any>;

const MAX = {
  messageBlocks: 50,
  viewBlocks: 100,
  messageText: 40_000,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  actionId: 255,
  blockId: 255,
  callbackId: 255,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
  plainInputMaxLength: 3000,
  optionText: 75,
  optionValue: 150,
  selectOptions: 100,
  checkboxOptions: 10,
  radioOptions: 10,
  overflowOptions: 5,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

export function blockKitProblems(surface: Surface, payload: Obj): string[] {
  const problems: string[] = [];
  const p = (where: string, msg: string) => problems.push(`${surface}${where}: ${msg}`);

  const text = (where: string, t: unknown, max: number, kinds: ('plain_text' | 'mrkdwn')[] = ['plain_text', 'mrkdwn']) => {
    if (!t || typeof t !== 'object') return p(where, 'text object missing');
    const o = t as Obj;
    if (!kinds.includes(o.type)) p(where, `text type must be ${kinds.join(' or ')}, is ${o.type}`);
    if (typeof o.text !== 'string' || o.text.length === 0) p(where, 'text must be a non-empty string');
    else if (o.text.length > max) p(where, `text is ${o.text.length} characters, more than ${max}`);
  };
  const len = (where: string, v: unknown, max: number, what: string) => {
    if (typeof v === 'string' && v.length > max) p(where, `${what} is ${v.length} characters, more than ${max}`);
  };
  const confirm = (where: string, c: Obj | undefined) => {
    if (!c) return;
    text(`${where}.confirm.title`, c.title, MAX.confirmTitle, ['plain_text']);
    text(`${where}.confirm.text`, c.text, MAX.confirmText);
    text(`${where}.confirm.confirm`, c.confirm, MAX.confirmButton, ['plain_text']);
    text(`${where}.confirm.deny`, c.deny, MAX.confirmButton, ['plain_text']);
  };
  const options = (where: string, opts: unknown, max: number, min = 1) => {
    if (!Array.isArray(opts)) return p(where, 'options missing');
    if (opts.length < min || opts.length > max) p(where, `${opts.length} options, allowed ${min}..${max}`);
    opts.forEach((o: Obj, i) => {
      text(`${where}[${i}].text`, o.text, MAX.optionText);
      if (typeof o.value !== 'string' || !o.value) p(`${where}[${i}]`, 'option value missing');
      len(`${where}[${i}]`, o.value, MAX.optionValue, 'option value');
    });
  };
  const element = (where: string, e: Obj, actionIds: Set<string>) => {
    if (typeof e.action_id === 'string') {
      len(where, e.action_id, MAX.actionId, 'action_id');
      if (actionIds.has(e.action_id)) p(where, `duplicate action_id '${e.action_id}' in one block`);
      actionIds.add(e.action_id);
    }
    confirm(where, e.confirm);
    switch (e.type) {
      case 'button':
        text(`${where}.text`, e.text, MAX.buttonText, ['plain_text']);
        len(where, e.value, MAX.buttonValue, 'button value');
        len(where, e.url, MAX.url, 'button url');
        if (e.style && !['primary', 'danger'].includes(e.style)) p(where, `button style '${e.style}'`);
        break;
      case 'plain_text_input':
        if (e.placeholder) text(`${where}.placeholder`, e.placeholder, MAX.placeholder, ['plain_text']);
        if (e.max_length !== undefined && (e.max_length < 1 || e.max_length > MAX.plainInputMaxLength)) p(where, `max_length ${e.max_length}`);
        if (typeof e.initial_value === 'string' && e.max_length !== undefined && e.initial_value.length > e.max_length) p(where, 'initial_value longer than max_length');
        break;
      case 'static_select':
        if (e.placeholder) text(`${where}.placeholder`, e.placeholder, MAX.placeholder, ['plain_text']);
        options(`${where}.options`, e.options, MAX.selectOptions);
        break;
      case 'overflow':
        options(`${where}.options`, e.options, MAX.overflowOptions, 2);
        break;
      case 'checkboxes':
        options(`${where}.options`, e.options, MAX.checkboxOptions);
        break;
      case 'radio_buttons':
        options(`${where}.options`, e.options, MAX.radioOptions);
        break;
      case 'conversations_select':
      case 'channels_select':
      case 'users_select':
        if (e.placeholder) text(`${where}.placeholder`, e.placeholder, MAX.placeholder, ['plain_text']);
        break;
      case 'image':
        break;
      default:
        p(where, `unexpected element type '${e.type}'`);
    }
  };

  const blocks = payload.blocks as Obj[] | undefined;
  const maxBlocks = surface === 'message' ? MAX.messageBlocks : MAX.viewBlocks;
  if (blocks !== undefined && !Array.isArray(blocks)) p('', 'blocks must be an array');
  const list = Array.isArray(blocks) ? blocks : [];
  if (list.length > maxBlocks) p('', `${list.length} blocks, more than ${maxBlocks}`);
  const blockIds = new Set<string>();
  let inputs = 0;
  list.forEach((b, i) => {
    const where = `.blocks[${i}](${b?.type}${b?.block_id ? ` ${b.block_id}` : ''})`;
    if (typeof b.block_id === 'string') {
      len(where, b.block_id, MAX.blockId, 'block_id');
      if (blockIds.has(b.block_id)) p(where, `duplicate block_id '${b.block_id}'`);
      blockIds.add(b.block_id);
    }
    const ids = new Set<string>();
    switch (b.type) {
      case 'section':
        if (!b.text && !b.fields) p(where, 'a section needs text or fields');
        if (b.text) text(`${where}.text`, b.text, MAX.sectionText);
        if (b.fields) {
          if (!Array.isArray(b.fields) || b.fields.length > MAX.sectionFields) p(where, `${b.fields?.length} fields, more than ${MAX.sectionFields}`);
          (b.fields as Obj[]).forEach((f, j) => text(`${where}.fields[${j}]`, f, MAX.fieldText));
        }
        if (b.accessory) element(`${where}.accessory`, b.accessory, ids);
        break;
      case 'header':
        text(`${where}.text`, b.text, MAX.headerText, ['plain_text']);
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > MAX.contextElements) p(where, `${b.elements?.length} elements, allowed 1..${MAX.contextElements}`);
        (b.elements as Obj[]).forEach((e, j) => (e.type === 'image' ? undefined : text(`${where}.elements[${j}]`, e, MAX.sectionText)));
        break;
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > MAX.actionsElements) p(where, `${b.elements?.length} elements, allowed 1..${MAX.actionsElements}`);
        (b.elements as Obj[]).forEach((e, j) => element(`${where}.elements[${j}]`, e, ids));
        break;
      case 'divider':
        break;
      case 'input':
        inputs++;
        if (surface === 'message') p(where, 'input blocks are for modals and Home tabs');
        text(`${where}.label`, b.label, MAX.inputLabel, ['plain_text']);
        if (b.hint) text(`${where}.hint`, b.hint, MAX.inputHint, ['plain_text']);
        if (!b.element) p(where, 'input without an element');
        else element(`${where}.element`, b.element, ids);
        break;
      default:
        p(where, `unexpected block type '${b?.type}'`);
    }
  });

  if (surface === 'message') {
    if (typeof payload.text === 'string' && payload.text.length > MAX.messageText) p('.text', `${payload.text.length} characters, more than ${MAX.messageText}`);
    if (!list.length && !payload.text) p('', 'a message needs text or blocks');
  } else {
    if (payload.type !== surface) p('.type', `must be '${surface}', is '${payload.type}'`);
    len('', payload.private_metadata, MAX.privateMetadata, 'private_metadata');
    len('', payload.callback_id, MAX.callbackId, 'callback_id');
    if (surface === 'modal') {
      text('.title', payload.title, MAX.modalTitle, ['plain_text']);
      if (payload.submit) text('.submit', payload.submit, MAX.modalButton, ['plain_text']);
      if (payload.close) text('.close', payload.close, MAX.modalButton, ['plain_text']);
      if (inputs > 0 && !payload.submit) p('', 'a modal with input blocks needs a submit button');
    }
  }
  return problems;
}

/** Which surface a Web API method sends, and where its payload is. */
export function surfaceOf(method: string, args: Record<string, any>): { surface: Surface; payload: Obj } | null {
  if (method === 'chat.postMessage' || method === 'chat.update' || method === 'chat.postEphemeral') return { surface: 'message', payload: args };
  if (method === 'views.open' || method === 'views.push') return { surface: 'modal', payload: args.view ?? {} };
  if (method === 'views.update') return { surface: args.view?.type === 'home' ? 'home' : 'modal', payload: args.view ?? {} };
  if (method === 'views.publish') return { surface: 'home', payload: args.view ?? {} };
  return null;
}
