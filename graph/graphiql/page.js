// The GraphiQL page's own script (graph/graphiql/page.html loads it; graph/ide.py serves it).
// Strawberry's page script, changed so that nothing secret leaves the page's memory:
// - nothing is persisted: GraphiQL's storage (tabs, query, variables, headers) is kept in memory
//   only, and headers are never persisted, so a pasted token or an ITSM password in the
//   variables is gone when the tab closes;
// - nothing is put in the URL: the query may be read from ?q= (to share a link), but the page
//   never writes the query, the variables or the headers into the address bar or the history;
// - no WebSocket: the gateway serves GraphQL over HTTP only.
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
const fetcher = GraphiQL.createFetcher({ url: fetchURL, headers: {} });

// Two tabs: a fetch, then a search (or only the query a shared link carries).
const defaultTabs = sharedQuery
  ? [{ query: sharedQuery }]
  : [
      { query: EXAMPLE_QUERY, variables: EXAMPLE_VARIABLES },
      { query: SEARCH_QUERY, variables: SEARCH_VARIABLES },
    ];

function GraphiQLWithExplorer() {
  const explorerPlugin = GraphiQLPluginExplorer.explorerPlugin();
  return React.createElement(GraphiQL, {
    fetcher: fetcher,
    storage: memoryStorage,
    defaultEditorToolsVisibility: true,
    plugins: [explorerPlugin],
    defaultTabs: defaultTabs,
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  });
}

const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(React.createElement(GraphiQLWithExplorer));
