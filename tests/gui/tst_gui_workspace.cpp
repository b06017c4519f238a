// Saved workspaces in the window (offscreen, label "gui"): the session writes what the selection
// and the compare view hold, a second window opened on that file holds the same and saves the
// same bytes, the layer and head wait for the model's shape, the recovery copy follows changes
// and goes away on a clean close, and recent workspaces are remembered.

#include "gui/gui_test_support.h"

#include "compute_results.h"
#include "compute_service.h"
#include "selection_model.h"
#include "views/compare_view.h"
#include "workspace_session.h"

#include "attnscope/workspace_file.h"
#include "test_support/read_file.h"
#include "test_support/temp_dir.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QWidget>

#include <gtest/gtest.h>

#include <memory>

using namespace attnscope;
using namespace attnscope::gui;

namespace {

/// The pieces a WorkspaceSession works on, as the main window owns them.
struct SessionParts {
    QWidget window;
    SelectionModel* selection = new SelectionModel(&window);
    CompareView* compare = new CompareView(false, &window);
    ComputeService* compute = new ComputeService(&window);
    WorkspaceSession* session = new WorkspaceSession(*selection, *compare, *compute, &window);
};

class GuiWorkspace : public ::testing::Test {
protected:
    void SetUp() override
    {
        test::application();
        QStandardPaths::setTestModeEnabled(true);  // the recovery copy goes to a test folder
    }
};

TEST_F(GuiWorkspace, SavedOpenedSavedIsByteIdenticalAndRestoresEverything)
{
    TempDir dir;
    SessionParts first;
    first.selection->setModelPath(QStringLiteral("demo"));
    first.selection->setModelShape(4, 8);
    first.selection->setText(QStringLiteral("In the beginning\nGod \"created\" the heaven."));
    first.selection->setVariantSpecs({QStringLiteral("topk:k=8"), QStringLiteral("sbm:clusters=4,density=0.3,seed=2")});
    first.selection->setActiveVariant(1);
    first.selection->setHead(3, 6);
    CompareColorOptions colours;
    colours.scale = ColorScale::Log;
    colours.colormap = QStringLiteral("cividis");
    colours.rowNormalised = true;
    colours.pooling = Pooling::Sum;
    first.compare->setColorOptions(colours);
    const QString path = QString::fromStdString(dir.path() + "/one.attnscope.json");
    ASSERT_EQ(first.session->saveTo(path), QString());

    auto saved = loadWorkspaceFile(path.toStdString());
    ASSERT_TRUE(saved.ok()) << saved.error().describe();
    EXPECT_EQ(saved->modelPath, "demo");
    EXPECT_EQ(saved->text, "In the beginning\nGod \"created\" the heaven.");
    EXPECT_EQ(saved->layer, 3);
    EXPECT_EQ(saved->head, 6);
    EXPECT_EQ(saved->variants, (std::vector<std::string>{"topk:k=8", "sbm:clusters=4,density=0.3,seed=2"}));
    EXPECT_EQ(saved->activeVariant, 1);
    EXPECT_EQ(saved->view.at("colour_scale"), "log");
    EXPECT_EQ(saved->view.at("colormap"), "cividis");
    EXPECT_EQ(saved->view.at("row_normalised"), "true");
    EXPECT_EQ(saved->view.at("pooling"), "sum");

    // A fresh window: its model is not open yet, so layer and head wait for the model's shape.
    SessionParts second;
    ASSERT_EQ(second.session->openFrom(path), QString());
    EXPECT_EQ(second.selection->modelPath(), QStringLiteral("demo"));
    EXPECT_EQ(second.selection->variantSpecs(), first.selection->variantSpecs());
    EXPECT_EQ(second.selection->activeVariant(), 1);
    EXPECT_EQ(second.compare->colorOptions(), colours);
    EXPECT_EQ(second.session->currentState(), saved.value()) << "pending head counts as the state";
    second.selection->setModelShape(4, 8);
    emit second.compute->modelLoaded(std::make_shared<ModelLoaded>());
    QCoreApplication::processEvents();
    EXPECT_EQ(second.selection->layer(), 3);
    EXPECT_EQ(second.selection->head(), 6);
    const QString again = QString::fromStdString(dir.path() + "/two.attnscope.json");
    ASSERT_EQ(second.session->saveTo(again), QString());
    EXPECT_EQ(readFileBytes(again.toStdString()), readFileBytes(path.toStdString()));
    EXPECT_EQ(second.session->recentWorkspaces().mid(0, 2), (QStringList{QFileInfo(again).absoluteFilePath(), QFileInfo(path).absoluteFilePath()}));
}

TEST_F(GuiWorkspace, RecoveryCopyFollowsChangesAndGoesOnACleanClose)
{
    SessionParts parts;
    parts.selection->setModelPath(QStringLiteral("demo"));
    parts.selection->setText(QStringLiteral("first text"));
    parts.selection->setVariantSpecs({QStringLiteral("topk:k=4")});
    const QString recovery = WorkspaceSession::recoveryPath();
    QFile::remove(recovery);
    ASSERT_EQ(parts.session->writeRecovery(), QString());
    ASSERT_TRUE(QFile::exists(recovery));
    EXPECT_EQ(loadWorkspaceFile(recovery.toStdString())->text, "first text");
    // Unchanged state: the copy is not rewritten (removing it shows whether it comes back).
    QFile::remove(recovery);
    ASSERT_EQ(parts.session->writeRecovery(), QString());
    EXPECT_FALSE(QFile::exists(recovery));
    parts.selection->setText(QStringLiteral("second text"));
    ASSERT_EQ(parts.session->writeRecovery(), QString());
    EXPECT_EQ(loadWorkspaceFile(recovery.toStdString())->text, "second text");
    parts.session->discardRecovery();
    EXPECT_FALSE(QFile::exists(recovery));
}

TEST_F(GuiWorkspace, BadFilesAreReportedAndChangeNothing)
{
    TempDir dir;
    SessionParts parts;
    parts.selection->setText(QStringLiteral("kept"));
    const std::string broken = dir.write("broken.attnscope.json", "{\"format\": \"attnscope-workspace\"");
    const QString error = parts.session->openFrom(QString::fromStdString(broken));
    EXPECT_TRUE(error.contains(QStringLiteral("broken.attnscope.json"))) << error.toStdString();
    EXPECT_EQ(parts.selection->text(), QStringLiteral("kept"));
    const QString unwritable = parts.session->saveTo(QString::fromStdString(broken + "/under-a-file.json"));
    EXPECT_FALSE(unwritable.isEmpty());
}

} // namespace
