namespace Storebridge.Sandbox.Shopper;

/// <summary>What the shopper does: how fast, for how long, with which mix.</summary>
public sealed class ShopperOptions
{
    /// <summary>Site URL of the store simulator.</summary>
    public Uri Store { get; set; } = new("http://127.0.0.1:8001/");

    /// <summary>REST consumer key (refunds and return notes are made by "store staff" over the REST API).</summary>
    public string ConsumerKey { get; set; } = "ck_sandbox_0000000000000000000000000000000000000000";

    /// <summary>REST consumer secret.</summary>
    public string ConsumerSecret { get; set; } = "cs_sandbox_0000000000000000000000000000000000000000";

    /// <summary>Steady order rate (orders per second).</summary>
    public double Rate { get; set; } = 2;

    /// <summary>How long to run.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most orders to attempt; null = no limit beyond <see cref="Duration"/>.</summary>
    public int? MaxOrders { get; set; }

    /// <summary>Rate multiplier inside the promotion window.</summary>
    public double SpikeMultiplier { get; set; } = 4;

    /// <summary>When the promotion starts, from the start of the run.</summary>
    public TimeSpan SpikeStart { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long the promotion lasts; zero = no spike.</summary>
    public TimeSpan SpikeDuration { get; set; } = TimeSpan.Zero;

    /// <summary>Share of orders placed by business (B2B) customers.</summary>
    public double B2BShare { get; set; } = 0.2;

    /// <summary>Share of placed orders that get a partial refund (one unit of one line, no restock).</summary>
    public double RefundShare { get; set; } = 0.05;

    /// <summary>Share of placed orders from which a line is returned (refund with restock and a note).</summary>
    public double ReturnShare { get; set; } = 0.03;

    /// <summary>Share of promotion-window orders that use the promotion coupon.</summary>
    public double PromotionCouponShare { get; set; } = 0.5;

    /// <summary>Promotion coupon code.</summary>
    public string PromotionCoupon { get; set; } = "PROMO10";

    /// <summary>Requests in flight at most; an order due while all are busy waits.</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>Seed of every choice the shopper makes.</summary>
    public int Seed { get; set; } = 7;

    /// <summary>Clock for pacing.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Whether an instant of the run falls in the promotion window.</summary>
    public bool InSpike(TimeSpan elapsed) =>
        SpikeDuration > TimeSpan.Zero && elapsed >= SpikeStart && elapsed < SpikeStart + SpikeDuration;

    /// <summary>The order rate at an instant of the run.</summary>
    public double RateAt(TimeSpan elapsed) => InSpike(elapsed) ? Rate * SpikeMultiplier : Rate;

    /// <summary>Throws for settings that cannot run.</summary>
    public void Validate()
    {
        if (Rate <= 0 || double.IsNaN(Rate))
        {
            throw new ArgumentException("Rate must be positive.");
        }

        if (SpikeMultiplier <= 0)
        {
            throw new ArgumentException("SpikeMultiplier must be positive.");
        }

        if (Duration <= TimeSpan.Zero && MaxOrders is null)
        {
            throw new ArgumentException("Give a positive Duration or a MaxOrders bound.");
        }

        foreach (var (name, share) in new[] { ("B2BShare", B2BShare), ("RefundShare", RefundShare), ("ReturnShare", ReturnShare), ("PromotionCouponShare", PromotionCouponShare) })
        {
            if (share is < 0 or > 1)
            {
                throw new ArgumentException($"{name} must be between 0 and 1.");
            }
        }

        if (RefundShare + ReturnShare > 1)
        {
            throw new ArgumentException("RefundShare + ReturnShare must not exceed 1.");
        }
    }
}

/// <summary>What the shopper did.</summary>
public sealed class ShopperReport
{
    /// <summary>Orders attempted.</summary>
    public int Attempted { get; set; }

    /// <summary>Orders the store accepted.</summary>
    public int OrdersPlaced { get; set; }

    /// <summary>Orders the store refused or that failed in transport.</summary>
    public int OrdersFailed { get; set; }

    /// <summary>Placed orders of consumers.</summary>
    public int B2CPlaced { get; set; }

    /// <summary>Placed orders of businesses.</summary>
    public int B2BPlaced { get; set; }

    /// <summary>Orders attempted inside the promotion window.</summary>
    public int SpikeAttempted { get; set; }

    /// <summary>Placed orders that used the promotion coupon.</summary>
    public int CouponOrders { get; set; }

    /// <summary>Partial refunds made.</summary>
    public int PartialRefunds { get; set; }

    /// <summary>Returns made (refund with restock).</summary>
    public int Returns { get; set; }

    /// <summary>Refunds or returns the store refused.</summary>
    public int RefundsFailed { get; set; }

    /// <summary>Failures by reason (store error code or HTTP status).</summary>
    public Dictionary<string, int> FailuresByReason { get; } = new(StringComparer.Ordinal);

    /// <summary>Ids of the placed orders.</summary>
    public List<long> OrderIds { get; } = [];

    /// <summary>When the store answered each placed order (by id): where order latency is measured from.</summary>
    public Dictionary<long, DateTimeOffset> PlacedAt { get; } = [];

    /// <summary>Wall time of the run.</summary>
    public TimeSpan Elapsed { get; set; }

    /// <summary>A one-paragraph summary.</summary>
    public override string ToString() =>
        $"attempted {Attempted} ({SpikeAttempted} in the promotion window), placed {OrdersPlaced} (B2C {B2CPlaced}, B2B {B2BPlaced}, coupon {CouponOrders}), " +
        $"failed {OrdersFailed}{(FailuresByReason.Count > 0 ? " [" + string.Join(", ", FailuresByReason.Select(p => $"{p.Key}: {p.Value}")) + "]" : "")}, " +
        $"partial refunds {PartialRefunds}, returns {Returns}, refunds refused {RefundsFailed}, in {Elapsed.TotalSeconds:0.0} s";
}
