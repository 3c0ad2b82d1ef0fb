// The only file that imports the Bot Framework SDK (botbuilder, archived by
// Microsoft). It turns the SDK into the small BotTransport the bot uses; moving
// to @microsoft/agents-hosting means rewriting this file and nothing else.
//
// Authentication is the SDK's: ConfigurationBotFrameworkAuthentication validates the
// Bot Connector's JWT on every request when an app id is configured (no or bad token:
// 401) and signs outgoing calls; with an empty app id and password it accepts
// unauthenticated requests and sends without a token (the Bot Framework Emulator's set-up).
// With a client secret, the outgoing token comes from an MSAL client of ours (the SDK's
// MsalServiceClientCredentialsFactory, made for this): the SDK's own asks Microsoft's
// instance discovery about any login host MSAL does not know, and refuses it (so
// MICROSOFT_LOGIN_URL could not name a private or local endpoint), and its failures say
// nothing of where the token was asked for.
import { ConfidentialClientApplication, type AuthenticationResult, type ClientCredentialRequest } from '@azure/msal-node';
import { ActivityTypes, CloudAdapter, ConfigurationBotFrameworkAuthentication, TeamsInfo, TurnContext } from 'botbuilder';
import type { Activity, ConversationParameters, ConversationReference, TeamsChannelAccount } from 'botbuilder';
import { MsalServiceClientCredentialsFactory } from 'botframework-connector';
import type { BotTransport, ConversationRef, HttpAnswer, OutgoingMessage, ProactiveTurn, RosterMember, Turn } from './activity.js';
import type { TeamsAuth, TeamsSettings } from './settings.js';
import { TeamsTokenError } from './token-errors.js';

/** Audience of tokens for the Bot Connector service (public cloud). */
const BOT_CONNECTOR_AUDIENCE = 'https://api.botframework.com';

/** The tenant a multi-tenant bot gets its token from (the SDK's default). */
const MULTI_TENANT_AUTHORITY_TENANT = 'botframework.com';

/**
 * The bot's MSAL client: tokens for the Bot Connector from `loginUrl`/tenant. The login host
 * is trusted as configured (knownAuthorities), so MSAL does not ask Microsoft's instance
 * discovery about it. A failure is raised as a TeamsTokenError naming the endpoint, MSAL's
 * error as its cause (a network failure or a refusal: bot/teams/token-errors.ts).
 */
class BotTokenClient extends ConfidentialClientApplication {
  constructor(readonly endpoint: string, clientId: string, clientSecret: string) {
    super({ auth: { clientId, clientSecret, authority: endpoint, knownAuthorities: [new URL(endpoint).host] } });
  }

  override async acquireTokenByClientCredential(request: ClientCredentialRequest): Promise<AuthenticationResult | null> {
    try {
      return await super.acquireTokenByClientCredential(request);
    } catch (err) {
      throw new TeamsTokenError(this.endpoint, err);
    }
  }

  /** A token for the Bot Connector, asked of the endpoint now (the cache skipped, as the SDK does). */
  async checkToken(): Promise<void> {
    const token = await this.acquireTokenByClientCredential({ scopes: [`${BOT_CONNECTOR_AUDIENCE}/.default`], skipCache: true });
    if (!token?.accessToken) throw new TeamsTokenError(this.endpoint, new Error('no access token in the answer'));
  }
}

function tokenClientOf(auth: TeamsAuth): BotTokenClient | null {
  if (auth.kind !== 'entra' || auth.appType === 'UserAssignedMsi' || !auth.password) return null;
  const tenant = auth.appType === 'SingleTenant' && auth.tenantId ? auth.tenantId : MULTI_TENANT_AUTHORITY_TENANT;
  return new BotTokenClient(`${auth.loginUrl}/${tenant}`, auth.appId, auth.password);
}

function messageActivity(message: OutgoingMessage): Partial<Activity> {
  return {
    type: ActivityTypes.Message,
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.summary !== undefined ? { summary: message.summary } : {}),
    ...(message.attachments ? { attachments: message.attachments } : {}),
  };
}

/** Members per roster page asked of the Bot Connector. */
const ROSTER_PAGE = 200;

const rosterOf = (m: TeamsChannelAccount): RosterMember => ({
  id: m.id,
  ...(m.name ? { name: m.name } : {}),
  ...(m.aadObjectId ? { aadObjectId: m.aadObjectId } : {}),
  ...(m.email ? { email: m.email } : {}),
  ...(m.userPrincipalName ? { userPrincipalName: m.userPrincipalName } : {}),
});

function proactiveTurn(context: TurnContext): ProactiveTurn {
  const reference = TurnContext.getConversationReference(context.activity) as ConversationRef;
  return {
    reference,
    async send(message) {
      const sent = await context.sendActivity(messageActivity(message));
      if (!sent?.id) throw new Error('the Bot Connector returned no activity id');
      return sent.id;
    },
    async update(activityId, message) {
      await context.updateActivity({ ...messageActivity(message), id: activityId, conversation: context.activity.conversation });
    },
    async rosterPage(continuationToken) {
      const page = await TeamsInfo.getPagedMembers(context, ROSTER_PAGE, continuationToken);
      return { members: (page.members ?? []).map(rosterOf), ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
    },
    async rosterMember(userId) {
      try {
        return rosterOf(await TeamsInfo.getMember(context, userId));
      } catch (err) {
        // 404: not in this conversation's roster; anything else is the caller's to log.
        if ((err as { statusCode?: number }).statusCode === 404) return null;
        throw err;
      }
    },
  };
}

export function botFrameworkTransport(settings: TeamsSettings, log: (line: string) => void): BotTransport {
  const auth = settings.auth;
  const credentials =
    auth.kind === 'none'
      ? { MicrosoftAppId: '', MicrosoftAppPassword: '' }
      : {
          MicrosoftAppId: auth.appId,
          MicrosoftAppPassword: auth.password ?? '',
          MicrosoftAppType: auth.appType,
          MicrosoftAppTenantId: auth.tenantId ?? '',
        };
  const appId = auth.kind === 'none' ? '' : auth.appId;
  const tokens = tokenClientOf(auth);
  // @azure/msal-node ships an ESM and a CommonJS build: ours is the ESM one, the SDK's types
  // name the CommonJS one (the same class, declared twice); the SDK only calls
  // acquireTokenByClientCredential on it.
  const factory = tokens ? new MsalServiceClientCredentialsFactory(appId, tokens as unknown as ConstructorParameters<typeof MsalServiceClientCredentialsFactory>[1]) : undefined;
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication(credentials, factory));
  adapter.onTurnError = async (context, error) => {
    log(`teams: turn failed (${context.activity.type}${context.activity.name ? ` ${context.activity.name}` : ''}): ${error.stack ?? error.message}`);
    if (context.activity.type === ActivityTypes.Invoke) {
      await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 500, body: { statusCode: 500, type: 'application/vnd.microsoft.error', value: { code: 'InternalError', message: 'Something went wrong; please try again.' } } } });
    }
  };

  return {
    appId,
    ...(tokens ? { checkToken: () => tokens.checkToken(), tokenEndpoint: tokens.endpoint } : {}),

    async process(request, logic) {
      const answer: HttpAnswer = { status: 200 };
      const response = {
        socket: null,
        status(code: number) {
          answer.status = code;
          return response;
        },
        header() {
          return response;
        },
        send(body: unknown) {
          answer.body = body;
          return response;
        },
        end() {
          return response;
        },
      };
      await adapter.process({ method: request.method ?? 'POST', headers: request.headers, body: request.body as Record<string, unknown> }, response, async (context) => {
        const turn: Turn = { ...proactiveTurn(context), activity: context.activity as unknown as Turn['activity'] };
        const result = await logic(turn);
        if (result && context.activity.type === ActivityTypes.Invoke) {
          await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: result });
        }
      });
      return answer;
    },

    async continue(reference, fn) {
      // The adapter hands errors of a turn to onTurnError; a proactive send must fail its caller instead (so it retries).
      let failure: { error: unknown } | null = null;
      await adapter.continueConversationAsync(appId, reference as ConversationReference, async (context) => {
        try {
          await fn(proactiveTurn(context));
        } catch (error) {
          failure = { error };
        }
      });
      if (failure) throw (failure as { error: unknown }).error;
    },

    async createPersonalConversation({ serviceUrl, tenantId, user, bot }) {
      const parameters: ConversationParameters = {
        isGroup: false,
        bot: { id: bot.id, name: bot.name ?? '' },
        members: [{ id: user.id, name: user.name ?? '' }],
        tenantId,
        channelData: { tenant: { id: tenantId } },
      };
      let created: ConversationRef | null = null;
      await adapter.createConversationAsync(appId, 'msteams', serviceUrl, BOT_CONNECTOR_AUDIENCE, parameters, async (context) => {
        const ref = TurnContext.getConversationReference(context.activity) as ConversationRef;
        created = { ...ref, bot, user, conversation: { ...ref.conversation, conversationType: 'personal', tenantId } };
      });
      if (!created) throw new Error('the Bot Connector did not create a conversation');
      return created;
    },
  };
}
