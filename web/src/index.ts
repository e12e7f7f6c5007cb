// The landing page: shows the GraphiQL link only where the gateway serves it (outside production).
const link = document.getElementById("graphiql-link");
void fetch("/graphiql", { method: "HEAD" }).then((response) => {
  if (link !== null && response.ok) link.hidden = false;
});
