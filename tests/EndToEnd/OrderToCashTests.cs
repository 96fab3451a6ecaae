using Storebridge.Contracts.Orders.V1;
using Storebridge.Orders.Events;
using Storebridge.Testing;

namespace Storebridge.EndToEnd.Tests;

/// <summary>Order-to-cash through the real services, runtimes, store and ERP.</summary>
public sealed class OrderToCashTests : IAsyncLifetime
{
    private StorebridgeSystem _system = null!;

    public async ValueTask InitializeAsync() => _system = await StorebridgeSystem.StartAsync();

    public async ValueTask DisposeAsync() => await _system.DisposeAsync();

    private string InStockSku(int atLeast) =>
        _system.Catalog.Sellables.First(s => _system.Catalog.Stock.Where(x => x.Sku == s.Sku).Sum(x => x.OnHand) >= atLeast
            && _system.Store.Stock(s.Sku)?.StockQuantity >= atLeast).Sku;

    [Fact]
    public async Task A_paid_consumer_order_goes_from_checkout_to_erp_to_shipped_and_completed()
    {
        var orderId = await _system.CheckoutAsync(InStockSku(5), 2);
        var orderRef = $"{StorebridgeSystem.StoreId}-{orderId}";

        var confirmed = await _system.WaitForOrderStateAsync(orderRef, OrderState.AwaitingShipment);
        var salesOrders = await _system.ErpSalesOrdersAsync(orderRef);
        var salesOrder = Assert.Single(salesOrders);
        Assert.Equal(1, salesOrder.GetProperty("docstatus").GetInt32());
        Assert.Equal(salesOrder.GetProperty("name").GetString(), confirmed.ErpSalesOrderId);

        await _system.ErpAdminAsync("ship", new { salesOrder = confirmed.ErpSalesOrderId, carrier = "UPS", trackingNumber = "1Z999AA10123456784" });
        await _system.TriggerAsync(ErpShipments.BindingName);

        var completed = await _system.WaitForOrderStateAsync(orderRef, OrderState.Completed);
        Assert.Contains(completed.History, h => h.ToState == OrderState.Shipped);
        var storeOrder = await _system.StoreApiAsync($"orders/{orderId}");
        Assert.Equal("completed", storeOrder.GetProperty("status").GetString());
        var notes = (await _system.StoreApiAsync($"orders/{orderId}/notes")).EnumerateArray().Select(n => n.GetProperty("note").GetString()).ToList();
        Assert.Contains(notes, n => n!.Contains("1Z999AA10123456784", StringComparison.Ordinal));
        Assert.Contains(notes, n => n!.Contains(confirmed.ErpSalesOrderId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_business_order_over_its_credit_goes_on_hold_with_the_reason_on_the_store_order()
    {
        var business = _system.Catalog.Customers.First(c => c.Kind == Sandbox.Seed.SeedCustomerKind.Business && c.Currency == "USD");
        // The ERP's finance team cut this customer's credit line to 10 USD.
        await _system.ErpUpdateAsync("Customer", business.Id, new { credit_limits = new[] { new { company = _system.Catalog.Company.Name, credit_limit = 10m } } });
        var storeCustomer = (await _system.StoreApiAsync($"customers?email={Uri.EscapeDataString(business.Email)}")).EnumerateArray().Single();

        var orderId = await _system.CheckoutAsync(InStockSku(5), 2, customerId: storeCustomer.GetProperty("id").GetInt64());
        var orderRef = $"{StorebridgeSystem.StoreId}-{orderId}";

        var held = await _system.WaitForOrderStateAsync(orderRef, OrderState.OnHold);
        Assert.StartsWith("credit-refused", held.StatusReason, StringComparison.Ordinal);
        Assert.DoesNotContain(held.History, h => h.ToState == OrderState.Reserving);
        Assert.Empty(await _system.ErpSalesOrdersAsync(orderRef));
        Assert.Equal("on-hold", (await _system.StoreApiAsync($"orders/{orderId}")).GetProperty("status").GetString());
        Assert.Contains(await _system.StoreNotesAsync(orderId), n => n.Contains("Credit limit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_erp_validation_error_puts_the_order_on_hold_with_the_erps_message_and_releases_its_stock()
    {
        var sku = InStockSku(5);
        await _system.ErpUpdateAsync("Item", sku, new { disabled = 1 });

        var orderId = await _system.CheckoutAsync(sku, 1);
        var orderRef = $"{StorebridgeSystem.StoreId}-{orderId}";

        var held = await _system.WaitForOrderStateAsync(orderRef, OrderState.OnHold);
        Assert.StartsWith("erp-validation", held.StatusReason, StringComparison.Ordinal);
        Assert.Contains(held.History, h => h.ToState == OrderState.Reserving);
        Assert.DoesNotContain(await _system.ErpSalesOrdersAsync(orderRef), so => so.GetProperty("docstatus").GetInt32() == 1);
        Assert.Contains(await _system.StoreNotesAsync(orderId), n => n.Contains("disabled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_same_order_delivered_ten_times_makes_one_erp_sales_order()
    {
        var orderId = await _system.CheckoutAsync(InStockSku(5), 1);
        var orderRef = $"{StorebridgeSystem.StoreId}-{orderId}";
        var body = (await _system.StoreApiAsync($"orders/{orderId}")).GetRawText();

        // WooCommerce re-firing order.created: ten more signed copies, at once, on top of the store's own delivery.
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => _system.DeliverWebhookAsync(body, "order.created", $"again-{i}")));

        await _system.WaitForOrderStateAsync(orderRef, OrderState.AwaitingShipment);
        Assert.Single(await _system.ErpSalesOrdersAsync(orderRef));
    }

    [Fact]
    public async Task An_order_placed_during_an_erp_outage_is_confirmed_once_the_erp_is_back()
    {
        await _system.ErpAdminAsync("outage", new { seconds = 8 });

        var orderId = await _system.CheckoutAsync(InStockSku(5), 1);
        var orderRef = $"{StorebridgeSystem.StoreId}-{orderId}";

        await _system.WaitForOrderStateAsync(orderRef, OrderState.AwaitingErpAck);
        var confirmed = await _system.WaitForOrderStateAsync(orderRef, OrderState.AwaitingShipment, TimeSpan.FromSeconds(90));
        Assert.Equal(confirmed.ErpSalesOrderId, Assert.Single(await _system.ErpSalesOrdersAsync(orderRef)).GetProperty("name").GetString());
    }

    [Fact]
    public async Task An_order_whose_webhooks_are_all_lost_is_picked_up_by_the_sweep()
    {
        _system.Store.SetFaults(new Sandbox.Store.FaultSettings { WebhookDropRate = 1 });
        var orderId = await _system.CheckoutAsync(InStockSku(5), 1);
        var orderRef = $"{StorebridgeSystem.StoreId}-{orderId}";
        Assert.Null(await _system.GetOrderAsync(orderRef));

        await _system.TriggerAsync(Storebridge.Orders.Intake.ReconciliationSweep.BindingName);

        await _system.WaitForOrderStateAsync(orderRef, OrderState.AwaitingShipment);
        Assert.Single(await _system.ErpSalesOrdersAsync(orderRef));
    }

    [Fact]
    public async Task Two_stale_checkouts_of_the_last_unit_oversell_the_store_but_not_the_erp()
    {
        var sku = InStockSku(5);
        var warehouses = _system.Catalog.Warehouses.Select(w => w.Id).ToList();
        foreach (var warehouse in warehouses)
        {
            await _system.ErpAdminAsync("stock", new { sku, warehouse, onHand = warehouse == warehouses[0] ? 1 : 0 });
        }

        // Inventory ingests the ERP's figure and pushes it to the store.
        await Eventually.TrueAsync(() => _system.Store.Stock(sku)?.StockQuantity == 1, TimeSpan.FromSeconds(30));

        long[] orderIds;
        using (var hold = _system.Store.HoldCheckouts())
        {
            var checkouts = new[] { _system.CheckoutAsync(sku, 1), _system.CheckoutAsync(sku, 1) };
            await hold.WaitForHeldAsync(2, TestContext.Current.CancellationToken);
            hold.Release();
            orderIds = await Task.WhenAll(checkouts);
        }

        var refs = orderIds.Select(id => $"{StorebridgeSystem.StoreId}-{id}").ToList();
        var settled = new List<OrderView>();
        foreach (var orderRef in refs)
        {
            await Eventually.TrueAsync(async () => (await _system.GetOrderAsync(orderRef))?.State is OrderState.AwaitingShipment or OrderState.OnHold,
                TimeSpan.FromSeconds(60));
            settled.Add((await _system.GetOrderAsync(orderRef))!);
        }

        Assert.Single(settled, o => o.State == OrderState.AwaitingShipment);
        var held = Assert.Single(settled, o => o.State == OrderState.OnHold);
        Assert.StartsWith("stock-short", held.StatusReason, StringComparison.Ordinal);
        Assert.Equal(1, (await Task.WhenAll(refs.Select(r => _system.ErpSalesOrdersAsync(r)))).Sum(s => s.Count));
    }

    [Fact]
    public async Task An_unpaid_order_cancelled_in_the_store_cancels_its_erp_order()
    {
        var orderId = await _system.CheckoutAsync(InStockSku(5), 1, paymentMethod: "bacs");
        var orderRef = $"{StorebridgeSystem.StoreId}-{orderId}";
        var awaiting = await _system.WaitForOrderStateAsync(orderRef, OrderState.AwaitingPayment);

        await _system.StoreUpdateAsync($"orders/{orderId}", new { status = "cancelled" });

        var cancelled = await _system.WaitForOrderStateAsync(orderRef, OrderState.Cancelled);
        Assert.Equal(awaiting.ErpSalesOrderId, cancelled.ErpSalesOrderId);
        Assert.Equal(2, Assert.Single(await _system.ErpSalesOrdersAsync(orderRef, includeCancelled: true)).GetProperty("docstatus").GetInt32());
    }

    [Fact]
    public async Task A_paid_order_cancelled_before_shipment_is_refunded_through_the_store_once()
    {
        var orderId = await _system.CheckoutAsync(InStockSku(5), 2, paymentMethod: "stripe");
        var orderRef = $"{StorebridgeSystem.StoreId}-{orderId}";
        await _system.WaitForOrderStateAsync(orderRef, OrderState.AwaitingShipment);

        await _system.StoreUpdateAsync($"orders/{orderId}", new { status = "cancelled" });

        await _system.WaitForOrderStateAsync(orderRef, OrderState.Cancelled);
        var storeOrder = await _system.StoreApiAsync($"orders/{orderId}");
        var refund = Assert.Single((await _system.StoreApiAsync($"orders/{orderId}/refunds")).EnumerateArray());
        Assert.Equal(storeOrder.GetProperty("total").GetString(), refund.GetProperty("amount").GetString());
        Assert.True(refund.GetProperty("refunded_payment").GetBoolean());
        Assert.Equal(2, Assert.Single(await _system.ErpSalesOrdersAsync(orderRef, includeCancelled: true)).GetProperty("docstatus").GetInt32());
    }
}
