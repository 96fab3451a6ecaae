using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Storebridge.Sandbox.Seed;
using Storebridge.Sandbox.Store;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Models;

namespace Storebridge.Sandbox.Shopper.Tests;

public sealed class ShopperTests
{
    private static readonly SandboxData Catalog = SandboxCatalog.Generate(42, SandboxSize.Small);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<StoreSimulator> StartStoreAsync() =>
        StoreSimulator.StartAsync(new StoreSimulatorOptions { Catalog = Catalog }, Ct);

    private static ShopperOptions Options(StoreSimulator store, Action<ShopperOptions> configure)
    {
        var options = new ShopperOptions
        {
            Store = store.BaseUrl,
            ConsumerKey = store.Options.ConsumerKey,
            ConsumerSecret = store.Options.ConsumerSecret,
            Rate = 500,
            Duration = TimeSpan.FromMinutes(1),
        };
        configure(options);
        return options;
    }

    private static async Task<List<WooOrder>> StoreOrdersAsync(StoreSimulator store)
    {
        using var http = new HttpClient { BaseAddress = store.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{store.Options.ConsumerKey}:{store.Options.ConsumerSecret}")));
        var all = new List<WooOrder>();
        for (var page = 1; ; page++)
        {
            using var response = await http.GetAsync($"wp-json/wc/v3/orders?per_page=100&page={page}", Ct);
            var items = await response.Content.ReadFromJsonAsync<List<WooOrder>>(WooJson.Options, Ct);
            all.AddRange(items!);
            if (page >= int.Parse(response.Headers.GetValues("X-WP-TotalPages").Single(), System.Globalization.CultureInfo.InvariantCulture))
            {
                return all;
            }
        }
    }

    [Fact]
    public async Task Shopper_stops_at_the_order_bound_and_reports_what_the_store_recorded()
    {
        await using var store = await StartStoreAsync();
        var shopper = new Shopper(Options(store, o =>
        {
            o.MaxOrders = 25;
            o.B2BShare = 0.4;
        }));

        var report = await shopper.RunAsync(Ct);
        var orders = await StoreOrdersAsync(store);

        Assert.Equal(25, report.Attempted);
        Assert.Equal(25, report.OrdersPlaced + report.OrdersFailed);
        Assert.Equal(report.OrdersPlaced, report.B2BPlaced + report.B2CPlaced);
        Assert.True(report.B2BPlaced > 0, report.ToString());
        Assert.Equal(report.OrderIds.Order(), orders.Select(o => o.Id!.Value).Order());
        Assert.Equal(report.B2BPlaced, orders.Count(o => !string.IsNullOrEmpty(o.Billing!.Company)));
    }

    [Fact]
    public async Task Refunds_and_returns_reach_the_store()
    {
        await using var store = await StartStoreAsync();
        var shopper = new Shopper(Options(store, o =>
        {
            o.MaxOrders = 30;
            o.RefundShare = 0.4;
            o.ReturnShare = 0.3;
        }));

        var report = await shopper.RunAsync(Ct);
        var orders = await StoreOrdersAsync(store);

        Assert.True(report.PartialRefunds > 0 && report.Returns > 0, report.ToString());
        Assert.Equal(0, report.RefundsFailed);
        Assert.Equal(report.PartialRefunds + report.Returns, orders.Sum(o => o.Refunds!.Count));
    }

    [Fact]
    public async Task Promotion_window_raises_the_rate_and_uses_the_coupon()
    {
        await using var store = await StartStoreAsync();
        var shopper = new Shopper(Options(store, o =>
        {
            o.MaxOrders = 20;
            o.SpikeStart = TimeSpan.Zero;
            o.SpikeDuration = TimeSpan.FromMinutes(1);
            o.PromotionCouponShare = 1;
        }));

        var report = await shopper.RunAsync(Ct);

        Assert.Equal(20, report.SpikeAttempted);
        Assert.Equal(report.OrdersPlaced, report.CouponOrders);
    }

    [Fact]
    public void Rate_is_multiplied_only_inside_the_spike_window()
    {
        var options = new ShopperOptions { Rate = 2, SpikeMultiplier = 4, SpikeStart = TimeSpan.FromSeconds(10), SpikeDuration = TimeSpan.FromSeconds(5) };

        Assert.Equal(2, options.RateAt(TimeSpan.FromSeconds(9)));
        Assert.Equal(8, options.RateAt(TimeSpan.FromSeconds(10)));
        Assert.Equal(8, options.RateAt(TimeSpan.FromSeconds(14.9)));
        Assert.Equal(2, options.RateAt(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Duration_bounds_the_run()
    {
        await using var store = await StartStoreAsync();
        var shopper = new Shopper(Options(store, o =>
        {
            o.Rate = 5;
            o.Duration = TimeSpan.FromMilliseconds(300);
        }));

        var report = await shopper.RunAsync(Ct);

        // Orders are due at 0.2 s, 0.4 s, ...: only the first falls inside 0.3 s.
        Assert.True(report.Attempted <= 1, report.ToString());
    }

    [Fact]
    public async Task Invalid_settings_are_refused_before_any_order()
    {
        var shopper = new Shopper(new ShopperOptions { Rate = 0 });

        var error = await Assert.ThrowsAsync<ArgumentException>(() => shopper.RunAsync(Ct));

        Assert.Equal("Rate must be positive.", error.Message);
    }
}
