/** A plain GraphQL-over-HTTP client for tests: one POST, the JSON answer. */
export type GraphQLResponse = { data?: Record<string, any> | null; errors?: { message: string; extensions?: { code?: string } }[] };

export async function graphql(url: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse;
}

/** The data of a response that must have no errors (the errors are the failure message). */
export async function graphqlData(url: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<Record<string, any>> {
  const response = await graphql(url, query, variables, token);
  if (response.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  return response.data!;
}
