// Meta's answers as Meta sends them, each with its source. The Graph emulator answers with these, and the unit
// tests read them directly. Ids are substituted with the test's ids; wording and structure are Meta's. Where a
// shape is not documented by Meta, the comment says so and the product is designed for either answer.

export type Json = Record<string, unknown>;

// ---------- Graph error envelope ----------

/**
 * The Graph error envelope: {error: {message, type, code, error_subcode?, error_user_title?, error_user_msg?,
 * fbtrace_id}} (https://developers.facebook.com/docs/graph-api/guides/error-handling); WhatsApp endpoints add
 * error_data {messaging_product: "whatsapp", details}
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes).
 */
export function graphError(code: number, message: string, extra: Json = {}): Json {
  return { error: { message, type: 'OAuthException', code, ...extra, fbtrace_id: 'AbCdEfGhIjKlMnOp' } };
}

// ---------- debug_token ----------

/**
 * debug_token asked (with our app token) about a token of ANOTHER app: a top-level error, HTTP 400, no `data`.
 * Captured verbatim in firebase/flutterfire#74 and jeduan/cordova-plugin-facebook4#690:
 * {"error":{"message":"(#100) The App_id in the input_token did not match the Viewing App","type":"OAuthException","code":100,"fbtrace_id":"..."}}
 */
export const DEBUG_TOKEN_FOREIGN_APP = graphError(100, '(#100) The App_id in the input_token did not match the Viewing App');

/** A token Meta cannot decrypt, HTTP 200 (bk-rs/facebook-apis-rs debug_token__200__access_token_could_not_be_decrypted.json). */
export const DEBUG_TOKEN_UNDECRYPTABLE: Json = { data: { error: { code: 190, message: 'The access token could not be decrypted' }, is_valid: false, scopes: [] } };

/**
 * Meta's own failure inside `data`, HTTP 200, is_valid false (bk-rs/facebook-apis-rs
 * debug_token__200__cannot_get_application_info.json). Not a verdict on the token.
 */
export const DEBUG_TOKEN_SYSTEM_ERROR: Json = {
  data: { error: { code: 190, message: 'Error validating application. Cannot get application info due to a system error.' }, is_valid: false, scopes: [] },
};

/**
 * A dead token whose `expires_at` is 0: the password-change / security reset capture, HTTP 200, is_valid false,
 * subcode 460, no issued_at (bk-rs/facebook-apis-rs facebook-access-token-api/tests/response_body_json_files/
 * debug_token__user_access_token_4.json; ids substituted, scopes as captured). 0 means "never" only for a valid token.
 */
export const debugTokenDeadNeverExpiring = (appId: string): Json => ({
  data: {
    app_id: appId,
    type: 'USER',
    application: 'Acme Notifications',
    data_access_expires_at: 1671412462,
    error: { code: 190, message: 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.', subcode: 460 },
    expires_at: 0,
    is_valid: false,
    scopes: ['email', 'instagram_basic', 'instagram_manage_comments', 'instagram_manage_insights', 'instagram_content_publish', 'public_profile'],
    granular_scopes: [{ scope: 'instagram_basic' }, { scope: 'instagram_manage_comments' }, { scope: 'instagram_manage_insights' }, { scope: 'instagram_content_publish' }],
    user_id: '123',
  },
});

/** The caller is not an app token (bk-rs/facebook-apis-rs debug_token__400__must_provide_an_app_access_token_or_a_user_access_token.json). */
export const DEBUG_TOKEN_NOT_APP_TOKEN = graphError(100, '(#100) You must provide an app access token, or a user access token that is an owner or developer of the app');

// ---------- OAuth endpoints: app secret / app id ----------

/** Wrong app secret on /oauth/* (facebookarchive/php-graph-sdk#538): code 1, not transient. */
export const OAUTH_BAD_CLIENT_SECRET = graphError(1, 'Error validating client secret.');
/** Unknown app id (diowa/icare#5): code 101. */
export const OAUTH_BAD_APP_ID = graphError(101, 'Error validating application. Invalid application ID.');

// ---------- Obtaining tokens: fb_exchange_token and the mint ----------

/**
 * POST /{system-user-id}/access_tokens refused because the business requires two-factor authentication: code 415,
 * subcode 2859009, not transient, the way out in error_user_msg. Verbatim from facebook/facebook-java-business-sdk#437
 * (also #438), fbtrace_id and hash as captured.
 */
export const MINT_TWO_FACTOR_REQUIRED: Json = {
  error: {
    message:
      'Two factor authentication required. User have to enter a code from SMS or TOTP code generator to pass 2fac. This could happen when accessing a 2fac-protected asset like a page that is owned by a 2fac-protected business manager.',
    type: 'OAuthException',
    code: 415,
    error_data: { hash: '8874359819718335175' },
    error_subcode: 2859009,
    is_transient: false,
    error_user_title: 'Two-factor authentication required',
    error_user_msg: 'To continue working in your account, please refresh this page to authenticate. Or navigate to the business settings page  and authenticate when prompted.',
    fbtrace_id: 'AwfkZm6RouSgmnWYNFln2q1',
  },
};

/**
 * fb_exchange_token as Meta documents it: {access_token, token_type, expires_in}
 * (https://developers.facebook.com/docs/business-management-apis/system-users/install-apps-and-generate-tokens/).
 */
export const exchangeAnswer = (token: string): Json => ({ access_token: token, token_type: 'bearer', expires_in: 5183944 });
/**
 * fb_exchange_token as it is often captured: no expires_in at all, for a token the debugger then shows as expiring
 * "Never" (pixelant/pxa_social_feed#105: {"access_token":"xxxx","token_type":"bearer"}; also jgorset/facepy#155 and #172).
 */
export const exchangeAnswerWithoutExpiresIn = (token: string): Json => ({ access_token: token, token_type: 'bearer' });

// ---------- Rate limits ----------

/**
 * Throttling errors. Codes from https://developers.facebook.com/docs/graph-api/overview/rate-limiting and the
 * WhatsApp error-codes page. Texts: 80008 verbatim from the "Error Codes" table of Meta's
 * /{waba-id}/phone_numbers reference (https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/phone_numbers/);
 * 613 verbatim from Meta's reference error tables ("Calls to this api have exceeded the rate limit."); 4 as
 * captured in the WWW-Authenticate header public SDKs match on ("(#4) Application request limit reached");
 * 17 / 32 are the rate-limiting page's names; 80007 / 130429 are the error-codes page's titles and details (the
 * exact message string is not shown there). The product decides on `code` only, never on the text.
 */
export const THROTTLE_MESSAGES: Record<number, { message: string; status: number; details?: string }> = {
  4: { message: '(#4) Application request limit reached', status: 400 },
  17: { message: '(#17) User request limit reached', status: 400 },
  32: { message: '(#32) Page request limit reached', status: 400 },
  613: { message: '(#613) Calls to this api have exceeded the rate limit.', status: 400 },
  80007: { message: '(#80007) Rate limit issues', status: 400, details: 'The WhatsApp Business Account has reached its rate limit.' },
  80008: { message: '(#80008) There have been too many calls to this WhatsApp Business account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.', status: 400 },
  130429: { message: '(#130429) Rate limit hit', status: 429, details: 'Cloud API message throughput has been reached.' },
};

export function throttleError(code: number): { status: number; body: Json } {
  const t = THROTTLE_MESSAGES[code] ?? { message: `(#${code}) Rate limit hit`, status: 400 };
  return { status: t.status, body: graphError(code, t.message, t.details ? { error_data: { messaging_product: 'whatsapp', details: t.details } } : {}) };
}

/**
 * Usage headers (https://developers.facebook.com/docs/graph-api/overview/rate-limiting): X-App-Usage
 * {"call_count":28,"total_time":25,"total_cputime":25} (percent); X-Business-Use-Case-Usage keyed by business object
 * id, each entry {type, call_count, total_cputime, total_time, estimated_time_to_regain_access (minutes)}. The type
 * "whatsapp_business_management" is the one in the header sample of Meta's WhatsApp OpenAPI description
 * (facebook/openapi business-messaging-api_v23.0.yaml, components.headers, as quoted by public SDK tests). Which
 * WhatsApp answers carry which header is not documented: the client reads both on every answer.
 */
export function appUsageHeader(percent: number): string {
  return JSON.stringify({ call_count: percent, total_time: Math.min(percent, 25), total_cputime: Math.min(percent, 25) });
}
export function businessUsageHeader(objectId: string, percent: number, regainMinutes = 0): string {
  return JSON.stringify({ [objectId]: [{ type: 'whatsapp_business_management', call_count: percent, total_cputime: Math.min(percent, 25), total_time: Math.min(percent, 25), estimated_time_to_regain_access: regainMinutes }] });
}

// ---------- health_status ----------
// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/health-status ("Messaging and
// Calling Health Status"): WABA, BUSINESS and APP entities are always included, PHONE_NUMBER when the node is a
// number. The examples below copy the page's examples (ids substituted).

export interface HealthIds {
  readonly phoneId: string;
  readonly wabaId: string;
  readonly businessId: string;
  readonly appId: string;
}

const entities = (ids: HealthIds, phone: Json = {}, waba: Json = {}, business: Json = {}, app: Json = {}): Json[] => [
  { entity_type: 'PHONE_NUMBER', id: ids.phoneId, can_send_message: 'AVAILABLE', can_receive_call_sip: 'AVAILABLE', ...phone },
  { entity_type: 'WABA', id: ids.wabaId, can_send_message: 'AVAILABLE', ...waba },
  { entity_type: 'BUSINESS', id: ids.businessId, can_send_message: 'AVAILABLE', ...business },
  { entity_type: 'APP', id: ids.appId, can_send_message: 'AVAILABLE', can_receive_call_sip: 'AVAILABLE', ...app },
];

/** The page's "Example Response": everything AVAILABLE. */
export const healthAvailable = (ids: HealthIds): Json => ({ can_send_message: 'AVAILABLE', entities: entities(ids) });

/** The page's "Example Limited Response": display name not approved yet (LIMITED with additional_info). */
export const DISPLAY_NAME_INFO = 'Your display name has not been approved yet. Your message limit will increase after the display name is approved.';
export const healthLimitedDisplayName = (ids: HealthIds): Json => ({
  can_send_message: 'LIMITED',
  entities: entities(ids, { can_send_message: 'LIMITED', additional_info: [DISPLAY_NAME_INFO] }),
});

/**
 * The page's "Example Blocked Response for receiving calls over SIP": overall BLOCKED although every entity's
 * can_send_message is AVAILABLE; the block is can_receive_call_sip (errors 138024 / 138025). Sending works.
 */
export const healthBlockedSip = (ids: HealthIds): Json => ({
  can_send_message: 'BLOCKED',
  entities: entities(
    ids,
    {
      can_receive_call_sip: 'BLOCKED',
      errors: [{ error_code: 138024, error_description: 'WhatsApp Business calling cannot use SIP because it is not enabled', possible_solution: 'Configure SIP using {PHONE_NUMBER_ID}/settings API' }],
    },
    {},
    {},
    {
      can_receive_call_sip: 'BLOCKED',
      errors: [
        {
          error_code: 138025,
          error_description: 'This app cannot use SIP for WhatsApp Business calling because it has not configured a SIP server for this business phone number',
          possible_solution: 'Configure SIP server using {PHONE_NUMBER_ID}/settings API',
        },
      ],
    },
  ),
});

/**
 * A WABA that cannot send: entity errors verbatim from the health_status in the "Get Flow" example of Meta's
 * WhatsApp Flows API reference (https://developers.facebook.com/docs/whatsapp/flows/reference/flowsapi): WABA
 * BLOCKED with 141006 (payment method) and 141014 (banned), BUSINESS LIMITED with an `errors` entry (141010, not
 * verified). Note a LIMITED node may carry `errors` rather than `additional_info`.
 */
export const PAYMENT_SOLUTION = 'There was an error with your payment method. Please add a new payment method to the account.';
export const healthBlockedWaba = (ids: HealthIds): Json => ({
  can_send_message: 'BLOCKED',
  entities: entities(
    ids,
    {},
    {
      can_send_message: 'BLOCKED',
      errors: [
        { error_code: 141006, error_description: 'There is an error with the payment method. This will block business initiated conversations.', possible_solution: PAYMENT_SOLUTION },
        { error_code: 141014, error_description: 'The WABA is banned.', possible_solution: 'Please visit Business Support Home for more details (https://business.facebook.com/accountquality) on how to appeal the ban.' },
      ],
    },
    {
      can_send_message: 'LIMITED',
      errors: [{ error_code: 141010, error_description: 'The Business has not passed business verification.', possible_solution: 'Visit business settings and start or resolve the business verification request.' }],
    },
  ),
});

// ---------- list edges ----------

/**
 * Cursor paging (https://developers.facebook.com/docs/graph-api/results ; the CursorPaging schema of
 * facebook/openapi business-messaging-api_v23.0.yaml): {data: [...], paging: {cursors: {before, after}, next?}};
 * `next` is absent on the last page.
 */
export function page(data: Json[], before: string, after: string, nextUrl?: string): Json {
  return { data, paging: { cursors: { before, after }, ...(nextUrl ? { next: nextUrl } : {}) } };
}
