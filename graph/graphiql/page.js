// The GraphiQL page's own script (graph/graphiql/page.html loads it; graph/ide.py serves it).
// Strawberry's page script, changed so that nothing secret leaves the page's memory:
// - nothing is persisted: GraphiQL's storage (tabs, query, variables, headers) is kept in memory
//   only, and headers are never persisted, so a pasted token or an ITSM password in the
//   variables is gone when the tab closes;
// - nothing is put in the URL: the query may be read from ?q= (to share a link), but the page
//   never writes the query, the variables or the headers into the address bar or the history;
// - no WebSocket: the gateway serves GraphQL over HTTP only.
// And so that a newcomer is greeted ready rather than with a 401:
// - the schema is asked for only once the headers hold a credential; until then the page says
//   where to paste one (#token-hint in page.html), and asks as soon as one is typed;
// - on start the page asks the gateway for a greeting (graph/ide.py, GREETING_PATH): the demo
//   answers its own token and a working connection, so its GraphiQL opens with the schema
//   loaded and an example that answers; a production gateway answers 404 and nothing changes.
"use strict";

const EXAMPLE_QUERY = `# Welcome to GraphiQL, on the ITSM gateway
#
# This gateway needs a token: open "Headers" below and paste
#
#     {"Authorization": "Bearer <access token>"}
#
# The token stays in this tab's memory: it is not saved in the browser.
#
# The query below fetches one ticket: put your ITSM's connection in "Variables" below
# (or only {"connectionId": "<profile>"} to use a connection configured on the gateway),
# then run it. Only the fields you select are fetched from the ITSM: comments add one
# journal call, ticketBusinessTimeLeft one SLA call. Every type, argument and enum value
# is described in the documentation explorer (the book icon on the left).
#
# Keyboard shortcuts:
#
#       Run Query:  Ctrl-Enter (or press the play button above)
#
#   Auto Complete:  Ctrl-Space (or just start typing)
#
query ($number: String!, $connection: ConnectionInput!) {
  ticket(number: $number, connection: $connection) {
    ticketNumber
    sysId
    ticketStatus
    ticketPriority
    shortDescription
    assignedTo
    assignedGroup
    updatedTime
    comments {
      commentBy
      commentTime
      comment
    }
  }
}
`;

// The example's operation is anonymous: GraphiQL keeps sending a named operation's name after
// the user replaces it with an anonymous query, which the gateway then refuses ("Unknown
// operation named ...").
// The example's variables: a ConnectionInput as the schema has it (itsmType and authType are
// enums: jira, rt or servicenow; basic, oauth_password, oauth_client_credentials, api_key or
// bearer). Placeholders only: nothing here is a real credential.
const EXAMPLE_VARIABLES = `{
  "number": "INC0010001",
  "connection": {
    "itsmType": "servicenow",
    "instanceUrl": "https://<instance>.service-now.com",
    "authType": "basic",
    "username": "<ITSM user>",
    "password": "<ITSM password>"
  }
}
`;

// The second tab: a search, a page of open tickets with their newest comments; the selection
// of node decides what is read for the whole page (one row call, one journal call).
const SEARCH_QUERY = `# A page of tickets matching a filter (the same connection as the first tab's).
# pageInfo.endCursor goes in "after" for the next page; the same filter and order only.
query ($connection: ConnectionInput!, $after: String) {
  tickets(
    connection: $connection
    filter: { active: true }
    first: 20
    after: $after
    orderBy: [{ field: UPDATED_TIME, descending: true }]
  ) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        ticketNumber
        ticketStatus
        shortDescription
        updatedTime
        comments {
          commentBy
          comment
        }
      }
    }
  }
}
`;

const SEARCH_VARIABLES = `{
  "connection": {
    "itsmType": "servicenow",
    "instanceUrl": "https://<instance>.service-now.com",
    "authType": "basic",
    "username": "<ITSM user>",
    "password": "<ITSM password>"
  }
}
`;

// A Storage that forgets: GraphiQL keeps its state here instead of localStorage.
const memoryStorage = (() => {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
    clear: () => items.clear(),
    key: (index) => Array.from(items.keys())[index] ?? null,
    get length() {
      return items.size;
    },
  };
})();

const sharedQuery = new URLSearchParams(window.location.search).get("q");
const fetchURL = window.location.href.split("?")[0].split("#")[0];
const greetingURL = fetchURL.replace(/\/+$/, "") + "/ide/greeting";
const baseFetcher = GraphiQL.createFetcher({ url: fetchURL, headers: {} });

// The headers editor's text as last seen (GraphiQL's onEditHeaders), as an object. GraphiQL asks
// for the schema with the headers the editor held when it opened, not with the ones typed since:
// every request, the schema's included, goes out with these instead.
let editorHeaders = {};

function parsedHeaders(text) {
  try {
    const value = JSON.parse(text || "{}");
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null; // half typed
  }
}

// A credential the gateway may accept: a bearer token or an offline token, not a placeholder.
function holdsCredential(headers) {
  return Object.entries(headers).some(([name, value]) => {
    if (typeof value !== "string" || value.includes("<")) return false;
    const key = name.toLowerCase();
    if (key === "authorization") return /^bearer\s+\S{8,}/i.test(value.trim());
    return key === "x-offline-token" && value.trim().length >= 8;
  });
}

function fetcher(params, options) {
  const headers = { ...((options && options.headers) || {}), ...editorHeaders };
  return baseFetcher(params, { ...options, headers: headers });
}

// Two tabs: a fetch, then a search (or only the query a shared link carries).
function defaultTabs(greeting) {
  const headers = greeting ? JSON.stringify(greeting.headers, null, 2) : undefined;
  if (sharedQuery) return [{ query: sharedQuery, headers: headers }];
  const fetchVariables = greeting
    ? JSON.stringify({ number: greeting.ticketNumber, connection: greeting.connection }, null, 2)
    : EXAMPLE_VARIABLES;
  const searchVariables = greeting
    ? JSON.stringify({ connection: greeting.connection }, null, 2)
    : SEARCH_VARIABLES;
  return [
    { query: EXAMPLE_QUERY, variables: fetchVariables, headers: headers },
    { query: SEARCH_QUERY, variables: searchVariables, headers: headers },
  ];
}

function showHint(shown) {
  document.getElementById("token-hint").hidden = !shown;
}

function GatewayGraphiQL({ greeting }) {
  const explorerPlugin = React.useMemo(() => GraphiQLPluginExplorer.explorerPlugin(), []);
  const tabs = React.useMemo(() => defaultTabs(greeting), [greeting]);
  const [ready, setReady] = React.useState(holdsCredential(editorHeaders));
  React.useEffect(() => showHint(!ready), [ready]);
  const onEditHeaders = React.useCallback((text) => {
    const headers = parsedHeaders(text);
    if (headers === null) return;
    editorHeaders = headers;
    setReady(holdsCredential(headers));
  }, []);
  return React.createElement(GraphiQL, {
    fetcher: fetcher,
    // null: no schema, nothing asked; undefined: GraphiQL asks for it (again once a credential
    // arrives, as the prop changes).
    schema: ready ? undefined : null,
    storage: memoryStorage,
    defaultEditorToolsVisibility: true,
    plugins: [explorerPlugin],
    defaultTabs: tabs,
    // GraphiQL fills the first tab's editors from these, not from defaultTabs[0] (3.8.3).
    variables: tabs[0].variables,
    defaultHeaders: tabs[0].headers,
    onEditHeaders: onEditHeaders,
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  });
}

// The demo's greeting, or null (a production gateway has none: 404).
async function fetchGreeting() {
  try {
    const answer = await fetch(greetingURL, { cache: "no-store", credentials: "same-origin" });
    return answer.ok ? await answer.json() : null;
  } catch {
    return null;
  }
}

fetchGreeting().then((greeting) => {
  if (greeting) editorHeaders = greeting.headers;
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GatewayGraphiQL, { greeting: greeting }));
});
