using System.Net;
using System.Text;

namespace Storebridge.Erp.Tests;

/// <summary>An HTTP handler that answers from recorded Frappe responses in Fixtures/ and records what it was asked.</summary>
internal sealed class RecordedResponses : HttpMessageHandler
{
    private readonly List<(HttpMethod Method, string PathPrefix, Func<HttpResponseMessage> Respond)> _routes = [];

    public List<(HttpMethod Method, string PathAndQuery, string? Authorization, string? Body)> Requests { get; } = [];

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    public RecordedResponses On(HttpMethod method, string pathPrefix, HttpStatusCode status, string fixtureOrJson, string contentType = "application/json", (string, string)? header = null)
    {
        var body = fixtureOrJson.EndsWith(".json", StringComparison.Ordinal) || fixtureOrJson.EndsWith(".html", StringComparison.Ordinal) ? Fixture(fixtureOrJson) : fixtureOrJson;
        _routes.Add((method, pathPrefix, () =>
        {
            var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, contentType) };
            if (header is { } h)
            {
                response.Headers.TryAddWithoutValidation(h.Item1, h.Item2);
            }

            return response;
        }));
        return this;
    }

    public int Count(HttpMethod method, string pathPrefix) =>
        Requests.Count(r => r.Method == method && Uri.UnescapeDataString(r.PathAndQuery).StartsWith(pathPrefix, StringComparison.Ordinal));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.PathAndQuery;
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add((request.Method, path, request.Headers.Authorization?.ToString(), body));
        var decoded = Uri.UnescapeDataString(path);

        // Longest prefix wins, so a route for one document beats the route for its list.
        var route = _routes.Where(r => r.Method == request.Method && decoded.StartsWith(r.PathPrefix, StringComparison.Ordinal))
            .OrderByDescending(r => r.PathPrefix.Length)
            .FirstOrDefault();
        return route.Respond is null
            ? new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent(Fixture("error-404-not-found.json"), Encoding.UTF8, "application/json") }
            : route.Respond();
    }
}
