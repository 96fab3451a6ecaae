using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Storebridge.Orders.Intake;

namespace Storebridge.Orders.Tests;

/// <summary>The hand-off dispatcher gives way to webhook intake, but never stops for good.</summary>
public sealed class DispatchPacerTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new();
    private readonly IntakeMetrics _metrics;

    public DispatchPacerTests() => _metrics = new IntakeMetrics(_services.GetRequiredService<IMeterFactory>());

    public void Dispose() => _services.Dispose();

    private DispatchPacer Pacer(int maxConcurrency = 8, int busyAt = 2, double maxYieldSeconds = 1) =>
        new(new Monitor(new OrdersOptions
        {
            Dispatch = new DispatchOptions { MaxConcurrency = maxConcurrency, YieldWhenWebhooksInFlight = busyAt, MaxYield = TimeSpan.FromSeconds(maxYieldSeconds) },
        }), _metrics, _time);

    [Fact]
    public async Task With_intake_quiet_a_turn_is_granted_at_once()
    {
        var pacer = Pacer();
        using var webhook = pacer.EnterWebhook();

        using var turn = await pacer.WaitTurnAsync(TestContext.Current.CancellationToken);

        Assert.Equal(0, _metrics.Totals().DispatchYields);
    }

    [Fact]
    public async Task No_more_turns_than_the_concurrency_are_held_at_once()
    {
        var pacer = Pacer(maxConcurrency: 2);
        var first = await pacer.WaitTurnAsync(TestContext.Current.CancellationToken);
        using var second = await pacer.WaitTurnAsync(TestContext.Current.CancellationToken);

        var third = pacer.WaitTurnAsync(TestContext.Current.CancellationToken);
        Assert.False(third.IsCompleted);

        first.Dispose();
        first.Dispose(); // a second dispose must not free a slot it does not hold
        using var granted = await third.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        var fourth = pacer.WaitTurnAsync(TestContext.Current.CancellationToken);
        Assert.False(fourth.IsCompleted);
    }

    [Fact]
    public async Task While_intake_is_busy_a_turn_waits_until_it_calms_down()
    {
        var pacer = Pacer(busyAt: 2);
        var one = pacer.EnterWebhook();
        var two = pacer.EnterWebhook();
        Assert.Equal(2, pacer.WebhooksInFlight);

        var turn = pacer.WaitTurnAsync(TestContext.Current.CancellationToken);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(turn.IsCompleted);

        two.Dispose();
        using var granted = await turn.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(1, _metrics.Totals().DispatchYields);
        one.Dispose();
        Assert.Equal(0, pacer.WebhooksInFlight);
    }

    [Fact]
    public async Task A_turn_goes_anyway_after_the_longest_yield_even_if_intake_stays_busy()
    {
        var pacer = Pacer(busyAt: 1, maxYieldSeconds: 1);
        using var webhook = pacer.EnterWebhook();

        var turn = pacer.WaitTurnAsync(TestContext.Current.CancellationToken);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromMilliseconds(900));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(turn.IsCompleted);

        _time.Advance(TimeSpan.FromMilliseconds(100));
        using var granted = await turn.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
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
        using var next = await pacer.WaitTurnAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Intake_busy_again_after_calming_down_holds_turns_back_again()
    {
        var pacer = Pacer(busyAt: 1);
        pacer.EnterWebhook().Dispose();
        using (await pacer.WaitTurnAsync(TestContext.Current.CancellationToken))
        {
        }

        using var webhook = pacer.EnterWebhook();
        var turn = pacer.WaitTurnAsync(TestContext.Current.CancellationToken);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(turn.IsCompleted);
        webhook.Dispose();
        using var granted = await turn.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    private sealed class Monitor(OrdersOptions value) : IOptionsMonitor<OrdersOptions>
    {
        public OrdersOptions CurrentValue => value;

        public OrdersOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<OrdersOptions, string?> listener) => null;
    }
}
