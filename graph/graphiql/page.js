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
# Type queries into this side of the screen, and you will see intelligent
# typeaheads aware of the current GraphQL type schema and live syntax and
# validation errors highlighted within the text.
#
# Keyboard shortcuts:
#
#       Run Query:  Ctrl-Enter (or press the play button above)
#
#   Auto Complete:  Ctrl-Space (or just start typing)
#
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

function GraphiQLWithExplorer() {
  const [query, setQuery] = React.useState(sharedQuery || EXAMPLE_QUERY);
  const explorerPlugin = GraphiQLPluginExplorer.explorerPlugin();
  return React.createElement(GraphiQL, {
    fetcher: fetcher,
    storage: memoryStorage,
    defaultEditorToolsVisibility: true,
    plugins: [explorerPlugin],
    query: query,
    onEditQuery: setQuery,
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  });
}

const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(React.createElement(GraphiQLWithExplorer));
