using System.Diagnostics;

namespace Storebridge.ServiceDefaults.Tests;

public class TracePropagationTests
{
    private const string IncomingTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

    [Fact]
    public async Task Without_an_exporter_the_incoming_trace_id_reaches_outgoing_calls()
    {
        string? seenByDownstream = null;
        await using var downstream = await TestHost.StartAsync(app => app.MapGet("/probe", (HttpRequest request) =>
        {
            seenByDownstream = request.Headers["traceparent"].ToString();
            return Results.Ok();
        }).AllowAnonymous());

        await using var service = await TestHost.StartAsync(
            app => app.MapGet("/call", async (IHttpClientFactory clients) =>
            {
                using var client = clients.CreateClient();
                client.BaseAddress = downstream.Address;
                var response = await client.GetAsync("/probe");
                return Results.Ok(new { downstream = (int)response.StatusCode, traceId = Activity.Current?.TraceId.ToString() });
            }),
            configure: builder => builder.Services.AddHttpClient());
        // The caller stands for a store or another system: its own client must not replace the header under test.
        using var caller = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = service.Address };
        caller.DefaultRequestHeaders.Add("X-Api-Key", TestHost.ApiKey);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/call");
        request.Headers.Add("traceparent", $"00-{IncomingTraceId}-00f067aa0ba902b7-01");

        var answer = await caller.SendAsync(request, TestContext.Current.CancellationToken);

        answer.EnsureSuccessStatusCode();
        Assert.NotNull(seenByDownstream);
        var parts = seenByDownstream!.Split('-');
        Assert.Equal(IncomingTraceId, parts[1]);
        Assert.NotEqual("00f067aa0ba902b7", parts[2]);
    }
}
