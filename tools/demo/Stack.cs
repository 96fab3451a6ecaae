using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Storebridge.Contracts.Orders.V1;

namespace Storebridge.Demo;

/// <summary>The running stack as an operator sees it: the orders API, the ERP's books and the simulators' admin knobs.</summary>
internal sealed class Stack(DemoSettings settings) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(settings.OrdersGrpc);

    private OrdersService.OrdersServiceClient Orders => new(_channel);

    private Metadata ApiKey => new() { { "x-api-key", settings.ApiKey } };

    /// <summary>Waits until the simulators answer and the services say they are ready (their runtimes included).</summary>
    public async Task WaitUntilReadyAsync(TimeSpan within)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        Uri[] probes = [new(settings.Store, "__admin/faults"), new(settings.Erp, ""), new(settings.Orders, "readyz"), new(settings.Inventory, "readyz")];
        foreach (var probe in probes)
        {
            while (true)
            {
                try
                {
                    using var response = await _http.GetAsync(probe);
                    if (response.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }

                if (DateTimeOffset.UtcNow > deadline)
                {
                    throw new TimeoutException($"{probe} did not become ready within {within.TotalSeconds:0} s.");
                }

                await Task.Delay(500);
            }
        }
    }

    /// <summary>
    /// Waits until the store has active order webhooks. Orders registers them when it starts (retrying while the
    /// store is away); orders placed before that reach Storebridge only through the sweep, which would put the sweep
    /// interval into every early order's latency.
    /// </summary>
    public async Task WaitForOrderWebhooksAsync(TimeSpan within)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(settings.Store, "wp-json/wc/v3/webhooks?status=active"));
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{settings.StoreConsumerKey}:{settings.StoreConsumerSecret}")));
            using var response = await _http.SendAsync(request);
            if (response.IsSuccessStatusCode
                && (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()
                    .Any(w => w.GetProperty("topic").GetString()?.StartsWith("order.", StringComparison.Ordinal) == true))
            {
                return;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"The store has no active order webhooks after {within.TotalSeconds:0} s; orders registers them at start (see its log).");
            }

            await Task.Delay(1000);
        }
    }

    public async Task<OrderView?> GetOrderAsync(string orderRef)
    {
        try
        {
            return (await Orders.GetOrderAsync(new GetOrderRequest { OrderRef = orderRef }, ApiKey)).Order;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<List<OrderSummary>> ListOrdersAsync(OrderState state)
    {
        var all = new List<OrderSummary>();
        var token = "";
        do
        {
            var page = await Orders.ListOrdersAsync(new ListOrdersRequest { State = state, PageSize = 500, PageToken = token }, ApiKey);
            all.AddRange(page.Orders);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return all;
    }

    /// <summary>Order versions accepted and duplicate deliveries suppressed by orders' intake.</summary>
    public async Task<JsonElement> IntakeStatsAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(settings.Orders, "intake/stats"));
        request.Headers.Add("X-Api-Key", settings.ApiKey);
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Every ERP sales order (any status) with its external reference.</summary>
    public async Task<List<(string Name, string PoNo, int DocStatus)>> ErpSalesOrdersAsync()
    {
        var data = await ErpGetAsync("api/resource/Sales%20Order?fields=%5B%22name%22,%22po_no%22,%22docstatus%22%5D&limit_page_length=0");
        return [.. data.EnumerateArray().Select(e => (e.GetProperty("name").GetString()!, e.TryGetProperty("po_no", out var po) && po.ValueKind == JsonValueKind.String ? po.GetString()! : "", e.GetProperty("docstatus").GetInt32()))];
    }

    /// <summary>Units the ERP has promised beyond what it holds, over every bin: what overselling leaves behind.</summary>
    public async Task<decimal> ErpOverpromisedUnitsAsync()
    {
        var bins = await ErpGetAsync("api/resource/Bin?fields=%5B%22item_code%22,%22warehouse%22,%22actual_qty%22,%22reserved_qty%22%5D&limit_page_length=0");
        return bins.EnumerateArray().Sum(b => Math.Max(0m, b.GetProperty("reserved_qty").GetDecimal() - b.GetProperty("actual_qty").GetDecimal()));
    }

    public Task ErpOutageAsync(int seconds) => PostAsync(new Uri(settings.Erp, "__admin/outage"), new { seconds });

    public Task ShipAsync(string salesOrder, string tracking) =>
        PostAsync(new Uri(settings.Erp, "__admin/ship"), new { salesOrder, carrier = "UPS", trackingNumber = tracking });

    /// <summary>The store sends some webhooks twice, as WooCommerce does under retries.</summary>
    public Task DuplicateWebhooksAsync(double rate) => PostAsync(new Uri(settings.Store, "__admin/faults"), new { webhook_duplicate_rate = rate });

    private async Task<JsonElement> ErpGetAsync(string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(settings.Erp, pathAndQuery));
        request.Headers.TryAddWithoutValidation("Authorization", $"token {settings.ErpApiKey}:{settings.ErpApiSecret}");
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").Clone();
    }

    private async Task PostAsync(Uri uri, object body)
    {
        using var response = await _http.PostAsJsonAsync(uri, body);
        response.EnsureSuccessStatusCode();
    }

    public void Dispose()
    {
        _channel.Dispose();
        _http.Dispose();
    }
}
