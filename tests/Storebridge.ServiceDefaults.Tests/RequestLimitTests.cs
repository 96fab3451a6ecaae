using System.Net;

namespace Storebridge.ServiceDefaults.Tests;

public class RequestLimitTests
{
    private static readonly Dictionary<string, string?> SmallLimit = new() { ["Storebridge:MaxRequestBodyBytes"] = "1024" };

    private static Task<TestHost> StartEcho() => TestHost.StartAsync(
        app => app.MapPost("/api/echo", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            return (await reader.ReadToEndAsync()).Length;
        }),
        SmallLimit);

    [Fact]
    public async Task A_body_with_a_declared_length_over_the_limit_gets_413_problem_details()
    {
        await using var host = await StartEcho();
        using var client = host.CreateClient();

        var response = await client.PostAsync("/api/echo", new ByteArrayContent(new byte[2048]), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_chunked_body_that_grows_over_the_limit_gets_413()
    {
        await using var host = await StartEcho();
        using var client = host.CreateClient();
        var content = new StreamContent(new MemoryStream(new byte[4096]));
        content.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/echo") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task A_body_within_the_limit_is_served()
    {
        await using var host = await StartEcho();
        using var client = host.CreateClient();

        var response = await client.PostAsync("/api/echo", new ByteArrayContent(new byte[512]), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("512", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
