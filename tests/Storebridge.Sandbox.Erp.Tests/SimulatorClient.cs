using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Storebridge.Sandbox.Seed;

namespace Storebridge.Sandbox.Erp.Tests;

/// <summary>A started simulator (small seed-42 data) and a raw Frappe REST client for it.</summary>
internal sealed class SimulatorClient : IAsyncDisposable
{
    private SimulatorClient(ErpSimulator simulator)
    {
        Simulator = simulator;
        Http = new HttpClient { BaseAddress = simulator.BaseUrl };
        Http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", simulator.AuthorizationHeader);
    }

    public ErpSimulator Simulator { get; }

    public HttpClient Http { get; }

    public SandboxData Data => Simulator.Data;

    public static async Task<SimulatorClient> StartAsync(Action<ErpSimulatorOptions>? configure = null)
    {
        var options = new ErpSimulatorOptions { Size = SandboxSize.Small };
        configure?.Invoke(options);
        return new SimulatorClient(await ErpSimulator.StartAsync(options, TestContext.Current.CancellationToken));
    }

    public static string Resource(string doctype, string? name = null) =>
        $"api/resource/{Uri.EscapeDataString(doctype)}" + (name is null ? "" : "/" + Uri.EscapeDataString(name));

    public static string Query(params (string Key, object Value)[] parameters) =>
        "?" + string.Join("&", parameters.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value as string ?? JsonSerializer.Serialize(p.Value))}"));

    public async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(HttpMethod method, string path, object? body = null, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        using var response = await (client ?? Http).SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var json = text.StartsWith('{') ? JsonNode.Parse(text)!.AsObject() : new JsonObject { ["raw"] = text };
        return (response.StatusCode, json);
    }

    public async Task<JsonObject> OkAsync(HttpMethod method, string path, object? body = null)
    {
        var (status, json) = await SendAsync(method, path, body);
        Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Accepted, $"{method} {path} -> {(int)status}: {json.ToJsonString()}");
        return json;
    }

    public async Task<JsonObject> GetDocAsync(string doctype, string name) => (await OkAsync(HttpMethod.Get, Resource(doctype, name)))["data"]!.AsObject();

    public async Task<JsonObject> BinAsync(string sku, string warehouse)
    {
        var json = await OkAsync(HttpMethod.Get, Resource("Bin") + Query(
            ("fields", new[] { "*" }),
            ("filters", new object[] { new[] { "item_code", "=", sku }, new[] { "warehouse", "=", warehouse } })));
        return json["data"]!.AsArray().Single()!.AsObject();
    }

    /// <summary>A sales order body for a customer, one line.</summary>
    public static Dictionary<string, object?> OrderBody(string customer, string sku, int qty, string warehouse, int docstatus = 0, string poNo = "store-1-100") => new()
    {
        ["customer"] = customer,
        ["po_no"] = poNo,
        ["delivery_date"] = "2030-01-31",
        ["items"] = new[] { new Dictionary<string, object> { ["item_code"] = sku, ["qty"] = qty, ["warehouse"] = warehouse } },
        ["docstatus"] = docstatus,
    };

    /// <summary>Decodes _server_messages: a JSON string of a list of JSON strings of message objects.</summary>
    public static List<string> ServerMessages(JsonObject body) =>
        [.. JsonSerializer.Deserialize<List<string>>(body["_server_messages"]!.GetValue<string>())!
            .Select(m => JsonNode.Parse(m)!["message"]!.GetValue<string>())];

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Simulator.DisposeAsync();
    }
}
