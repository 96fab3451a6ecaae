using Microsoft.Extensions.Options;

namespace Storebridge.Orders;

/// <summary>Order-to-cash settings (<c>Orders</c> section).</summary>
public sealed class OrdersOptions
{
    public const string Section = "Orders";

    /// <summary>Per store: the ERP customer that consumer orders are booked to, and fulfilment defaults.</summary>
    public Dictionary<string, StoreOrderSettings> Stores { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long a confirmed order may wait for payment before it goes on hold for a person.</summary>
    public TimeSpan PaymentTimeout { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How long a paid order may wait for the ERP to ship it before it goes on hold.</summary>
    public TimeSpan ShipmentTimeout { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// How long a delivery stays in the inbox (state TTL). Long enough for any redelivery or sweep to be recognised
    /// as a duplicate and for a person to look at it; the order's own record and saga are kept independently.
    /// </summary>
    public TimeSpan InboxRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Make sure every store has its order webhooks as the service starts (retrying an unreachable store), not only on
    /// the sweep's ticks. Off leaves the webhooks to the sweep.
    /// </summary>
    public bool EnsureWebhooksAtStart { get; set; } = true;

    /// <summary>How the intake hand-off starts workflows next to webhook intake on the same replica.</summary>
    public DispatchOptions Dispatch { get; set; } = new();

    public StoreOrderSettings For(string storeId) =>
        Stores.TryGetValue(storeId, out var settings) ? settings : new StoreOrderSettings();
}

/// <summary>Order settings of one store.</summary>
public sealed class StoreOrderSettings
{
    /// <summary>ERP customer for consumer (guest and registered) orders, as ERPNext's "Website Customer" convention.</summary>
    public string DefaultErpCustomer { get; set; } = "Website Customer";

    /// <summary>
    /// A paid order cancelled before shipment is refunded through the store's payment gateway (true), or listed as a
    /// refund due for a person (false, for stores whose gateways cannot refund or who refund by hand).
    /// </summary>
    public bool RefundCancelledOrders { get; set; } = true;

    /// <summary>Days from order to promised delivery on the ERP sales order.</summary>
    public int DeliveryLeadDays { get; set; } = 3;

    /// <summary>
    /// Public URL of this store's webhook endpoint (<c>https://storebridge.example.com/webhooks/woocommerce/{storeId}</c>).
    /// When set, the sweep makes sure the store has active order webhooks pointing there.
    /// </summary>
    public Uri? WebhookUrl { get; set; }
}

/// <summary>Pacing of the intake hand-off (<c>Orders:Dispatch</c>; decision 0007).</summary>
public sealed class DispatchOptions
{
    /// <summary>Hand-offs starting or signalling workflows at once on this replica (read at start; a change needs a restart).</summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>
    /// With this many webhook deliveries being answered at once, intake is busy and hand-offs wait for it. A store
    /// delivers one or a few at a time, so this is reached in a burst or when the replica is short of CPU.
    /// </summary>
    public int YieldWhenWebhooksInFlight { get; set; } = 8;

    /// <summary>How long intake must stay below the threshold to count as calm again.</summary>
    public TimeSpan CalmFor { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest one hand-off waits for busy intake before it goes anyway.</summary>
    public TimeSpan MaxYield { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Refuses settings that would stall or spin the service instead of failing at start: a zero or negative calm period
/// would make waiting hand-offs spin or wait forever, a zero concurrency would never dispatch.
/// </summary>
public sealed class OrdersOptionsValidator : IValidateOptions<OrdersOptions>
{
    public ValidateOptionsResult Validate(string? name, OrdersOptions options)
    {
        var problems = new List<string>();
        void Require(bool ok, string problem)
        {
            if (!ok)
            {
                problems.Add(problem);
            }
        }

        Require(options.PaymentTimeout > TimeSpan.Zero, "Orders:PaymentTimeout must be positive.");
        Require(options.ShipmentTimeout > TimeSpan.Zero, "Orders:ShipmentTimeout must be positive.");
        Require(options.InboxRetention >= TimeSpan.FromSeconds(1), "Orders:InboxRetention must be at least a second.");
        var dispatch = options.Dispatch;
        Require(dispatch.MaxConcurrency >= 1, "Orders:Dispatch:MaxConcurrency must be at least 1.");
        Require(dispatch.YieldWhenWebhooksInFlight >= 1, "Orders:Dispatch:YieldWhenWebhooksInFlight must be at least 1.");
        Require(dispatch.CalmFor > TimeSpan.Zero && dispatch.CalmFor <= TimeSpan.FromMinutes(1), "Orders:Dispatch:CalmFor must be more than 0 and at most a minute.");
        Require(dispatch.MaxYield >= TimeSpan.Zero && dispatch.MaxYield <= TimeSpan.FromMinutes(10), "Orders:Dispatch:MaxYield must be between 0 and 10 minutes.");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
