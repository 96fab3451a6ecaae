using System.Net;
using System.Text.Json;

namespace Storebridge.ServiceDefaults.Tests;

public class HealthEndpointTests
{
    [Fact]
    public async Task Liveness_answers_without_credentials_even_when_the_sidecar_is_down()
    {
        await using var host = await TestHost.StartAsync(_ => { });
        using var client = host.CreateClient(apiKey: null);

        var response = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readiness_fails_and_names_the_sidecar_when_it_is_unreachable()
    {
        await using var host = await TestHost.StartAsync(_ => { });
        using var client = host.CreateClient(apiKey: null);

        var response = await client.GetAsync("/readyz", TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", body.RootElement.GetProperty("checks").GetProperty("dapr-sidecar").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readiness_succeeds_when_the_sidecar_answers_its_health_endpoint()
    {
        var probes = 0;
        await using var sidecar = await FakeSidecar.StartAsync(() => Interlocked.Increment(ref probes));
        await using var host = await TestHost.StartAsync(_ => { }, new Dictionary<string, string?>
        {
            ["DAPR_HTTP_ENDPOINT"] = sidecar.Address.ToString().TrimEnd('/'),
        });
        using var client = host.CreateClient(apiKey: null);

        var response = await client.GetAsync("/readyz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(probes > 0);
    }

    /// <summary>Answers the Dapr health endpoint the way daprd does (204).</summary>
    private sealed class FakeSidecar(WebApplication app, Uri address) : IAsyncDisposable
    {
        public Uri Address { get; } = address;

        public static async Task<FakeSidecar> StartAsync(Action onProbe)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.MapGet("/v1.0/healthz", () =>
            {
                onProbe();
                return Results.NoContent();
            });
            await app.StartAsync(TestContext.Current.CancellationToken);
            return new FakeSidecar(app, new Uri(app.Urls.Single()));
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
