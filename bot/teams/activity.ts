// The Bot Framework activity as this bot reads and writes it, without the SDK's
// types: only bot/teams/sdk.ts knows the SDK, so a move from botbuilder to its
// successor (@microsoft/agents-hosting) replaces that one file.

export interface Account {
  id: string;
  name?: string;
  /** Microsoft Entra object id of a Teams user. */
  aadObjectId?: string;
  role?: string;
}

export interface Conversation {
  id: string;
  conversationType?: string;
  tenantId?: string;
  isGroup?: boolean;
  name?: string;
}

export interface IncomingActivity {
  type: string;
  /** Invokes: "adaptiveCard/action", … */
  name?: string;
  id?: string;
  text?: string;
  value?: unknown;
  channelId: string;
  serviceUrl: string;
  from: Account;
  recipient: Account;
  conversation: Conversation;
  channelData?: { tenant?: { id?: string } } & Record<string, unknown>;
  /** A message from an Action.Submit: the id of the card message it came from. */
  replyToId?: string;
  membersAdded?: Account[];
  /** installationUpdate: "add", "add-upgrade", "remove", "remove-upgrade". */
  action?: string;
  locale?: string;
}

/** Where to reach a conversation later (the Bot Framework ConversationReference, as JSON). */
export interface ConversationRef {
  activityId?: string;
  user?: Account;
  bot: Account;
  conversation: Conversation;
  channelId: string;
  serviceUrl: string;
  locale?: string;
}

export interface CardAttachment {
  contentType: 'application/vnd.microsoft.card.adaptive';
  content: Record<string, unknown>;
}

export interface OutgoingMessage {
  text?: string;
  /** Shown in notifications and the chat list. */
  summary?: string;
  attachments?: CardAttachment[];
}

/** The HTTP answer to an invoke (adaptiveCard/action): status and body. */
export interface InvokeResult {
  status: number;
  body?: unknown;
}

/** A Teams user as the tenant's roster describes them (TeamsInfo.getMember). */
export interface RosterMember {
  id: string;
  name?: string;
  aadObjectId?: string;
  /** The user's mail address, as their tenant states it. */
  email?: string;
  userPrincipalName?: string;
}

/** One turn of the bot: the activity received and how to answer in its conversation. */
export interface Turn {
  activity: IncomingActivity;
  reference: ConversationRef;
  /** Sends a message to the turn's conversation; returns the new activity's id. */
  send(message: OutgoingMessage): Promise<string>;
  /** Replaces a message the bot sent earlier in the turn's conversation. */
  update(activityId: string, message: OutgoingMessage): Promise<void>;
  /** A member of the turn's conversation from the roster; null when Teams does not know them there. */
  rosterMember(userId: string): Promise<RosterMember | null>;
  /** One page of the roster of the turn's team (or conversation); continue with the token it returns. */
  rosterPage(continuationToken?: string): Promise<{ members: RosterMember[]; continuationToken?: string }>;
}

/** A turn started by the bot itself (proactive): no activity received. */
export type ProactiveTurn = Omit<Turn, 'activity'>;

export type TurnLogic = (turn: Turn) => Promise<InvokeResult | void>;

export interface HttpRequest {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface HttpAnswer {
  status: number;
  body?: unknown;
}

/** What the rest of the bot needs from the Bot Framework SDK. */
export interface BotTransport {
  /** The bot's Microsoft App ID; '' when running unauthenticated (Emulator set-up). */
  readonly appId: string;
  /** Authenticates an HTTP request to /api/messages and runs the logic on its activity. */
  process(request: HttpRequest, logic: TurnLogic): Promise<HttpAnswer>;
  /** Runs `fn` in a stored conversation (proactive messages and updates). */
  continue(reference: ConversationRef, fn: (turn: ProactiveTurn) => Promise<void>): Promise<void>;
  /** Opens (or reopens) the personal chat between the bot and a Teams user. */
  createPersonalConversation(params: { serviceUrl: string; tenantId: string; user: Account; bot: Account }): Promise<ConversationRef>;
  /** Asks Microsoft Entra for a token for the Bot Connector now, as every send does (with a client secret only). */
  checkToken?(): Promise<void>;
  /** Where that token comes from (MICROSOFT_LOGIN_URL/tenant). */
  readonly tokenEndpoint?: string;
}

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive' as const;

/** The tenant an activity comes from (Teams puts it in both places). */
export const tenantOf = (a: Pick<IncomingActivity, 'conversation' | 'channelData'>): string | undefined => a.conversation.tenantId ?? a.channelData?.tenant?.id ?? undefined;
