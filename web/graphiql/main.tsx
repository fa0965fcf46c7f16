/** GraphiQL against this server's /graphql, bundled with its Monaco workers (nothing from a CDN). */
import './monaco-workers';
import 'graphiql/style.css';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';

type FetcherParams = { query: string; operationName?: string | null; variables?: unknown };

/** Plain POST to the same origin; GraphiQL's header editor adds e.g. Authorization. */
async function fetcher(params: FetcherParams, options?: { headers?: Record<string, unknown> }): Promise<unknown> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options?.headers as Record<string, string> | undefined) },
    body: JSON.stringify(params),
  });
  return response.json();
}

const DEFAULT_QUERY = `# The animerec API. Ctrl-Enter runs the query; the Docs pane lists every field.
{
  catalogStats { anime users ratings watched }
  animes(search: "Steins", first: 3) { nodes { id name genres communityRating } pageInfo { hasNextPage endCursor } totalCount }
}
`;

createRoot(document.getElementById('graphiql')!).render(<GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />);
