using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Storebridge.ServiceDefaults.Events;

namespace Storebridge.ServiceDefaults.Tests;

public class CloudEventIdTests
{
    private const string CloudEvents = "application/cloudevents+json";

    private sealed record Seen(string? Id, string? ContentType, string Body);

    // A subscriber as services declare them, behind the shared pipeline: it reports the id and the body it was handed.
    private static Task<TestHost> StartSubscriber() => TestHost.StartAsync(app => app.MapPost("/events/seen", async (HttpContext context) =>
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        return Results.Json(new Seen(context.GetCloudEventId(), context.Request.ContentType, body));
    }));

    private static async Task<Seen> DeliverAsync(TestHost host, string body, string contentType, string? idHeader = null)
    {
        using var client = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events/seen") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        if (idHeader is not null)
        {
            request.Headers.TryAddWithoutValidation(CloudEventIds.Header, idHeader);
        }

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<Seen>(TestContext.Current.CancellationToken))!;
    }

    private static string Envelope(string idMember) =>
        $$$"""{"specversion":"1.0",{{{idMember}}}"source":"erp","type":"storebridge.erp.v1.StockChanged","datacontenttype":"application/json","data":{"sku":"SKU-1"}}""";

    [Theory]
    [InlineData(CloudEvents)]
    [InlineData(CloudEvents + "; charset=utf-8")]
    public async Task A_CloudEvent_delivery_gives_the_handler_its_id_and_the_unwrapped_data(string contentType)
    {
        await using var host = await StartSubscriber();

        var seen = await DeliverAsync(host, Envelope("\"id\":\"evt-1\","), contentType);

        Assert.Equal("evt-1", seen.Id);
        Assert.Equal("application/json", seen.ContentType);
        Assert.Equal("""{"sku":"SKU-1"}""", seen.Body);
    }

    [Fact]
    public async Task The_id_comes_after_data_as_daprd_orders_members()
    {
        await using var host = await StartSubscriber();

        var seen = await DeliverAsync(host, """{"data":{"sku":"SKU-1"},"datacontenttype":"application/json","id":"evt-2","source":"erp","specversion":"1.0","type":"t"}""", CloudEvents);

        Assert.Equal("evt-2", seen.Id);
        Assert.Equal("""{"sku":"SKU-1"}""", seen.Body);
    }

    [Fact]
    public async Task An_id_with_JSON_escapes_is_the_same_id_as_written_plainly()
    {
        await using var host = await StartSubscriber();

        // System.Text.Json escapes "&", "+" and non-ASCII by default, Go's encoder only some of them.
        var escaped = await DeliverAsync(host, Envelope("\"id\":\"R\\u0026D\\u002B1 \\u00e9 \\\"q\\\" end\","), CloudEvents);
        var plain = await DeliverAsync(host, Envelope("\"id\":\"R&D+1 é \\\"q\\\" end\","), CloudEvents);

        Assert.Equal("R&D+1 é \"q\" end", escaped.Id);
        Assert.Equal(escaped.Id, plain.Id);
    }

    [Fact]
    public async Task A_binary_data_base64_delivery_keeps_its_id()
    {
        await using var host = await StartSubscriber();
        var data = Convert.ToBase64String(Encoding.UTF8.GetBytes("raw payload"));

        var seen = await DeliverAsync(host, $$"""{"specversion":"1.0","id":"evt-3","source":"s","type":"t","datacontenttype":"text/plain","data_base64":"{{data}}"}""", CloudEvents);

        Assert.Equal("evt-3", seen.Id);
        Assert.Equal(("text/plain", "raw payload"), (seen.ContentType, seen.Body));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\"id\":null,")]
    [InlineData("\"id\":\"\",")]
    [InlineData("\"id\":{\"a\":\"b\"},")]
    public async Task An_envelope_without_a_usable_id_gives_no_id(string idMember)
    {
        await using var host = await StartSubscriber();

        var seen = await DeliverAsync(host, Envelope(idMember), CloudEvents);

        Assert.Null(seen.Id);
        Assert.Equal("""{"sku":"SKU-1"}""", seen.Body);
    }

    [Fact]
    public async Task A_body_that_is_not_a_CloudEvent_is_passed_on_untouched_and_has_no_id()
    {
        await using var host = await StartSubscriber();
        var body = """{"id":"not-an-event","sku":"SKU-1"}""";

        var seen = await DeliverAsync(host, body, "application/json");

        Assert.Null(seen.Id);
        Assert.Equal(body, seen.Body);
    }

    [Fact]
    public async Task An_id_header_sent_by_the_caller_is_not_taken_for_the_envelopes_id()
    {
        await using var host = await StartSubscriber();

        var plain = await DeliverAsync(host, """{"sku":"SKU-1"}""", "application/json", idHeader: "forged");
        var withoutId = await DeliverAsync(host, Envelope(""), CloudEvents, idHeader: "forged");
        var withId = await DeliverAsync(host, Envelope("\"id\":\"evt-4\","), CloudEvents, idHeader: "forged");

        Assert.Null(plain.Id);
        Assert.Null(withoutId.Id);
        Assert.Equal("evt-4", withId.Id);
    }
}
