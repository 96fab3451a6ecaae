using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Storebridge.Orders.Intake;

namespace Storebridge.Orders.Tests;

/// <summary>The hand-off dispatcher gives way to webhook intake, but never stops for good.</summary>
public sealed class DispatchPacerTests : IDisposable
{
    private static readonly TimeSpan CalmFor = TimeSpan.FromMilliseconds(250);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new();
    private readonly IntakeMetrics _metrics;

    public DispatchPacerTests() => _metrics = new IntakeMetrics(_services.GetRequiredService<IMeterFactory>());

    public void Dispose() => _services.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DispatchPacer Pacer(int maxConcurrency = 8, int busyAt = 2, double maxYieldSeconds = 1) =>
        new(new Monitor(new OrdersOptions
        {
            Dispatch = new DispatchOptions
            {
                MaxConcurrency = maxConcurrency,
                YieldWhenWebhooksInFlight = busyAt,
                CalmFor = CalmFor,
                MaxYield = TimeSpan.FromSeconds(maxYieldSeconds),
            },
        }), _metrics, _time);

    // Lets timers that the fake clock fired run their continuations before the next assertion.
    private static Task Settle() => Task.Delay(50, Ct);

    private static Task<T> Within<T>(Task<T> task) => task.WaitAsync(TimeSpan.FromSeconds(5), Ct);

    [Fact]
    public async Task With_intake_quiet_a_turn_is_granted_at_once()
    {
        var pacer = Pacer();
        using var webhook = pacer.EnterWebhook();

        var turn = pacer.WaitTurnAsync(Ct);

        Assert.True(turn.IsCompletedSuccessfully);
        (await turn).Dispose();
        Assert.Equal(0, _metrics.Totals().DispatchYields);
    }

    [Fact]
    public async Task No_more_turns_than_the_concurrency_are_held_at_once()
    {
        var pacer = Pacer(maxConcurrency: 2);
        var first = await pacer.WaitTurnAsync(Ct);
        using var second = await pacer.WaitTurnAsync(Ct);

        var third = pacer.WaitTurnAsync(Ct);
        Assert.False(third.IsCompleted);

        first.Dispose();
        first.Dispose(); // a second dispose must not free a slot it does not hold
        using var granted = await Within(third);
        var fourth = pacer.WaitTurnAsync(Ct);
        await Settle();
        Assert.False(fourth.IsCompleted);
    }

    [Fact]
    public async Task While_intake_is_busy_a_turn_waits_until_it_has_been_calm_for_a_while()
    {
        var pacer = Pacer(busyAt: 2);
        var one = pacer.EnterWebhook();
        var two = pacer.EnterWebhook();
        Assert.Equal(2, pacer.WebhooksInFlight);

        var turn = pacer.WaitTurnAsync(Ct);
        await Settle();
        Assert.False(turn.IsCompleted);

        two.Dispose();
        _time.Advance(CalmFor - TimeSpan.FromMilliseconds(10));
        await Settle();
        Assert.False(turn.IsCompleted);

        _time.Advance(TimeSpan.FromMilliseconds(10));
        using var granted = await Within(turn);
        Assert.Equal(1, _metrics.Totals().DispatchYields);
        one.Dispose();
        Assert.Equal(0, pacer.WebhooksInFlight);
    }

    [Fact]
    public async Task A_dip_between_deliveries_of_a_burst_does_not_let_waiting_turns_through()
    {
        var pacer = Pacer(busyAt: 2, maxYieldSeconds: 10);
        using var steady = pacer.EnterWebhook();
        var burst = pacer.EnterWebhook();
        var turn = pacer.WaitTurnAsync(Ct);

        // The burst goes on: every 100 ms the count dips below the threshold for a moment and comes back.
        for (var i = 0; i < 5; i++)
        {
            burst.Dispose();
            _time.Advance(TimeSpan.FromMilliseconds(100));
            burst = pacer.EnterWebhook();
            await Settle();
            Assert.False(turn.IsCompleted);
        }

        burst.Dispose();
        _time.Advance(CalmFor);
        using var granted = await Within(turn);
    }

    [Fact]
    public async Task Calm_is_counted_from_when_long_deliveries_were_answered_not_from_when_they_arrived()
    {
        var pacer = Pacer(busyAt: 2, maxYieldSeconds: 60);
        using var steady = pacer.EnterWebhook();
        var slow = pacer.EnterWebhook();
        var turn = pacer.WaitTurnAsync(Ct);

        // The two deliveries stay in flight far longer than the calm period, with nothing new arriving.
        for (var i = 0; i < 8; i++)
        {
            _time.Advance(CalmFor);
            await Settle();
        }

        Assert.False(turn.IsCompleted);

        // Answered just before the waiting turn looks again: it must not find intake calm already.
        _time.Advance(CalmFor - TimeSpan.FromMilliseconds(50));
        slow.Dispose();
        _time.Advance(TimeSpan.FromMilliseconds(60));
        await Settle();
        Assert.False(turn.IsCompleted);

        _time.Advance(CalmFor);
        using var granted = await Within(turn);
    }

    [Theory]
    [InlineData("CalmFor", "00:00:00")]
    [InlineData("CalmFor", "-00:00:00.001")]
    [InlineData("MaxYield", "-00:00:01")]
    [InlineData("MaxConcurrency", "0")]
    [InlineData("YieldWhenWebhooksInFlight", "0")]
    public void Settings_that_would_stall_or_spin_dispatch_are_refused_at_start(string setting, string value)
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"Orders:Dispatch:{setting}"] = value })
            .Build();
        var options = new OrdersOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(OrdersOptions.Section), options);

        var result = new OrdersOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains($"Orders:Dispatch:{setting}", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new OrdersOptionsValidator().Validate(null, new OrdersOptions()).Succeeded);
    }

    [Fact]
    public async Task A_turn_goes_anyway_after_the_longest_yield_even_if_intake_stays_busy()
    {
        var pacer = Pacer(busyAt: 1, maxYieldSeconds: 1);
        using var webhook = pacer.EnterWebhook();

        var turn = pacer.WaitTurnAsync(Ct);
        for (var i = 0; i < 9; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await Settle();
        }

        Assert.False(turn.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        using var granted = await Within(turn);
        Assert.Equal(1, pacer.WebhooksInFlight);
    }

    [Fact]
    public async Task A_turn_cancelled_while_yielding_gives_its_slot_back()
    {
        var pacer = Pacer(maxConcurrency: 1, busyAt: 1);
        var webhook = pacer.EnterWebhook();
        using var cancel = new CancellationTokenSource();

        var cancelled = pacer.WaitTurnAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        webhook.Dispose();
        _time.Advance(CalmFor);
        using var next = await Within(pacer.WaitTurnAsync(Ct));
    }

    [Fact]
    public async Task Intake_busy_again_after_calming_down_holds_turns_back_again()
    {
        var pacer = Pacer(busyAt: 1);
        pacer.EnterWebhook().Dispose();
        _time.Advance(CalmFor);
        using (await Within(pacer.WaitTurnAsync(Ct)))
        {
        }

        var webhook = pacer.EnterWebhook();
        var turn = pacer.WaitTurnAsync(Ct);
        await Settle();
        Assert.False(turn.IsCompleted);

        webhook.Dispose();
        _time.Advance(CalmFor);
        using var granted = await Within(turn);
    }

    private sealed class Monitor(OrdersOptions value) : IOptionsMonitor<OrdersOptions>
    {
        public OrdersOptions CurrentValue => value;

        public OrdersOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<OrdersOptions, string?> listener) => null;
    }
}
