using System.Net;

namespace Storebridge.ServiceDefaults.Tests;

public class AuthenticationTests
{
    private static Task<TestHost> StartWithProtectedEndpoint() =>
        TestHost.StartAsync(app => app.MapGet("/api/ping", (HttpContext context) => context.User.Identity!.Name));

    [Fact]
    public async Task A_request_without_an_api_key_is_rejected()
    {
        await using var host = await StartWithProtectedEndpoint();
        using var client = host.CreateClient(apiKey: null);

        var response = await client.GetAsync("/api/ping", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_request_with_a_wrong_api_key_is_rejected()
    {
        await using var host = await StartWithProtectedEndpoint();
        using var client = host.CreateClient(apiKey: TestHost.ApiKey + "x");

        var response = await client.GetAsync("/api/ping", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_valid_api_key_authenticates_as_its_client_name()
    {
        await using var host = await StartWithProtectedEndpoint();
        using var client = host.CreateClient();

        var response = await client.GetAsync("/api/ping", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("tests", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Without_configured_keys_every_api_call_is_rejected()
    {
        await using var host = await TestHost.StartAsync(
            app => app.MapGet("/api/ping", () => "pong"),
            new Dictionary<string, string?> { ["Storebridge:Auth:ApiKeys:tests"] = "" });
        using var client = host.CreateClient(apiKey: "");

        var response = await client.GetAsync("/api/ping", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_subscription_list_answers_only_the_dapr_runtime()
    {
        await using var host = await StartWithProtectedEndpoint();
        using var withApiKey = host.CreateClient();
        using var withAppToken = host.CreateClient(apiKey: null);
        withAppToken.DefaultRequestHeaders.Add("dapr-api-token", TestHost.AppToken);
        using var withWrongToken = host.CreateClient(apiKey: null);
        withWrongToken.DefaultRequestHeaders.Add("dapr-api-token", "not-the-token");

        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.Unauthorized, (await withApiKey.GetAsync("/dapr/subscribe", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withWrongToken.GetAsync("/dapr/subscribe", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await withAppToken.GetAsync("/dapr/subscribe", ct)).StatusCode);
    }

    [Fact]
    public async Task The_dapr_runtime_token_also_authenticates_api_calls_it_forwards()
    {
        await using var host = await StartWithProtectedEndpoint();
        using var client = host.CreateClient(apiKey: null);
        client.DefaultRequestHeaders.Add("dapr-api-token", TestHost.AppToken);

        var response = await client.GetAsync("/api/ping", TestContext.Current.CancellationToken);

        Assert.Equal("dapr-runtime", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
